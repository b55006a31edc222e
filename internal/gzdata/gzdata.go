// Package gzdata reads the files the module embeds gzip-compressed:
// documents and catalogs that are read once, at their first use, are kept
// compressed in the binary (a fifth to a tenth of their size) instead of
// whole. Each NAME.gz sits beside its source NAME, which is what is edited;
// `go generate` rewrites the .gz files (see ./gzip), and each package's
// tests check that every .gz holds its source's bytes (SameAsSource).
package gzdata

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ReadFile returns the decompressed content of name+".gz" in fsys.
func ReadFile(fsys fs.FS, name string) ([]byte, error) {
	raw, err := fs.ReadFile(fsys, name+".gz")
	if err != nil {
		return nil, err
	}
	return Decompress(raw)
}

// Decompress returns the content of the gzip data raw.
func Decompress(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	return out, zr.Close()
}

// SameAsSource reports, for tests, an error when a .gz file of fsys does
// not hold the bytes of its source file on disk (dir/NAME for NAME.gz),
// or when a source matched by pattern (a path.Match pattern of names
// under dir) has no .gz: run go generate.
func SameAsSource(fsys fs.FS, dir, pattern string) error {
	srcs, err := fs.Glob(os.DirFS(dir), pattern)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		return fmt.Errorf("no source matches %s in %s", pattern, dir)
	}
	for _, src := range srcs {
		if strings.HasSuffix(src, ".gz") {
			continue
		}
		want, err := os.ReadFile(dir + "/" + src)
		if err != nil {
			return err
		}
		got, err := ReadFile(fsys, src)
		if err != nil {
			return fmt.Errorf("%s.gz: %w (run go generate)", src, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s.gz does not hold %s: run go generate", src, src)
		}
	}
	return nil
}
