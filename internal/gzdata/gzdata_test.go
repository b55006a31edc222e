package gzdata

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"a.json.gz": {Data: gz(t, `{"a":1}`)}, "bad.gz": {Data: []byte("not gzip")}}
	if got, err := ReadFile(fsys, "a.json"); err != nil || string(got) != `{"a":1}` {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	if _, err := ReadFile(fsys, "bad"); err == nil {
		t.Error("not gzip: no error")
	}
	if _, err := ReadFile(fsys, "missing"); err == nil {
		t.Error("missing file: no error")
	}
}

// SameAsSource fails on a stale .gz and on a source without one.
func TestSameAsSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("one"), 0o644)
	if err := SameAsSource(fstest.MapFS{"a.txt.gz": {Data: gz(t, "one")}}, dir, "*.txt"); err != nil {
		t.Errorf("same: %v", err)
	}
	if err := SameAsSource(fstest.MapFS{"a.txt.gz": {Data: gz(t, "two")}}, dir, "*.txt"); err == nil || !strings.Contains(err.Error(), "go generate") {
		t.Errorf("stale: %v", err)
	}
	if err := SameAsSource(fstest.MapFS{}, dir, "*.txt"); err == nil {
		t.Error("missing .gz: no error")
	}
}
