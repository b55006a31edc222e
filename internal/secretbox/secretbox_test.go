package secretbox_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/embedauth/auth/internal/secretbox"
)

func newBox(t *testing.T, fill byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(bytes.Repeat([]byte{fill}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	box := newBox(t, 1)
	for _, plain := range [][]byte{
		nil,
		[]byte("x"),
		[]byte("totp secret JBSWY3DPEHPK3PXP"),
		bytes.Repeat([]byte{0, 0xff}, 4096),
	} {
		sealed := box.Seal(plain)
		if len(plain) >= 8 && bytes.Contains(sealed, plain) {
			t.Errorf("sealed data holds the plaintext %q", plain)
		}
		got, err := box.Open(sealed)
		if err != nil {
			t.Fatalf("Open(Seal(%d bytes)): %v", len(plain), err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q", plain, got)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	t.Parallel()
	box := newBox(t, 1)
	plain := []byte("same plaintext")
	a, b := box.Seal(plain), box.Seal(plain)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal")
	}
	if bytes.Equal(a[:12], b[:12]) {
		t.Error("two seals share a nonce")
	}
}

func TestSealDoesNotAliasPlaintext(t *testing.T) {
	t.Parallel()
	box := newBox(t, 1)
	plain := []byte("do not touch")
	orig := bytes.Clone(plain)
	sealed := box.Seal(plain)
	if !bytes.Equal(plain, orig) {
		t.Errorf("Seal changed its input to %q", plain)
	}
	sealed[len(sealed)-1] ^= 1 // must not reach plain
	if !bytes.Equal(plain, orig) {
		t.Errorf("the sealed slice aliases the input")
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	box := newBox(t, 1)
	sealed := box.Seal([]byte("secret"))
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		box    *secretbox.Box
		sealed []byte
	}{
		{"nil", box, nil},
		{"empty", box, []byte{}},
		{"nonce only", box, sealed[:12]},
		{"one byte short of nonce and tag", box, sealed[:12+16-1]},
		{"truncated", box, sealed[:len(sealed)-1]},
		{"tampered nonce", box, flip(0)},
		{"tampered ciphertext", box, flip(12)},
		{"tampered tag", box, flip(len(sealed) - 1)},
		{"extra byte", box, append(bytes.Clone(sealed), 0)},
		{"wrong key", newBox(t, 2), sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.box.Open(tt.sealed)
			if err == nil {
				t.Fatalf("Open succeeded with %q", got)
			}
			if got != nil {
				t.Errorf("Open returned %q with its error", got)
			}
		})
	}
	if got, err := box.Open(sealed); err != nil || string(got) != "secret" {
		t.Errorf("the original no longer opens: %q, %v", got, err)
	}
}

func TestNewKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if b, err := secretbox.New(make([]byte, n)); err == nil || b != nil {
			t.Errorf("New with a %d-byte key = %v, %v; want an error", n, b, err)
		}
	}
	if _, err := secretbox.New(make([]byte, 32)); err != nil {
		t.Errorf("New with a 32-byte key: %v", err)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "embedauth.key")

	key, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Error("first call: created = false")
	}
	if len(key) != secretbox.KeySize {
		t.Fatalf("key is %d bytes", len(key))
	}
	if bytes.Equal(key, make([]byte, secretbox.KeySize)) {
		t.Error("key is all zeros")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(key) + "\n"; string(b) != want {
		t.Errorf("file holds %q, want %q", b, want)
	}
	if len(b) != 65 {
		t.Errorf("file is %d bytes, want 64 hex characters and a newline", len(b))
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("mode = %o, want 600", mode)
		}
	}
	if _, err := secretbox.New(key); err != nil {
		t.Errorf("the created key does not make a Box: %v", err)
	}

	again, created, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("second call: created = true")
	}
	if !bytes.Equal(again, key) {
		t.Error("second call returned another key")
	}
}

func TestLoadOrCreateKeyFileLeavesNothingElse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "key")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "key" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only the key file", names)
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "key")
	const n = 16
	keys := make([][]byte, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], created[i], errs[i] = secretbox.LoadOrCreateKeyFile(path)
		})
	}
	close(start)
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got another key", i)
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers report creating the key, want 1", creators)
	}
	onDisk, created2, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil || created2 || !bytes.Equal(onDisk, keys[0]) {
		t.Errorf("the file does not hold the key every caller got: %v, %v", created2, err)
	}
}

func TestLoadOrCreateKeyFileDistinctKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two new key files hold the same key")
	}
}

func TestLoadOrCreateKeyFileExisting(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xab}, secretbox.KeySize)
	hexKey := hex.EncodeToString(key)
	tests := []struct {
		name    string
		content string
		ok      bool
	}{
		{"with newline", hexKey + "\n", true},
		{"without newline", hexKey, true},
		{"with spaces and CRLF", "  " + hexKey + "\r\n", true},
		{"empty", "", false},
		{"not hex", "zz" + hexKey[2:], false},
		{"odd length", hexKey[:63], false},
		{"too short", hexKey[:62], false},
		{"too long", hexKey + "ab", false},
		{"raw bytes", string(key), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, created, err := secretbox.LoadOrCreateKeyFile(path)
			if created {
				t.Error("created = true for an existing file")
			}
			if !tt.ok {
				if err == nil {
					t.Fatalf("a corrupt file was accepted: %x", got)
				}
				if b, _ := os.ReadFile(path); string(b) != tt.content {
					t.Error("the corrupt file was overwritten")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("key = %x, want %x", got, key)
			}
		})
	}
}

func TestLoadOrCreateKeyFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := secretbox.LoadOrCreateKeyFile(dir); err == nil {
		t.Error("a directory was accepted as a key file")
	}
	if _, _, err := secretbox.LoadOrCreateKeyFile(filepath.Join(dir, "missing", "key")); err == nil {
		t.Error("a key file in a missing directory was created")
	}
}
