// Package secretbox seals small secrets at rest with AES-256-GCM under a key
// kept outside the database file.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// Box seals and opens with one key. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext; the random nonce is prepended.
func (b *Box) Seal(plaintext []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plaintext, nil)
}

// Open decrypts what Seal produced.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, errors.New("secretbox: sealed data too short")
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("secretbox: open: %w", err)
	}
	return out, nil
}

// LoadOrCreateKeyFile reads a hex key from path, or creates the file with a
// new random key (mode 0600) when it does not exist. created reports which.
//
// The key is written to a temporary file, synced, and hard-linked into
// place, so the key file appears whole or not at all: a crash or kill
// midway leaves no empty key file that would stop every later start, and
// of several processes starting at once exactly one creates the key and
// the others read it.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, false, err
	}
	key = make([]byte, KeySize)
	rand.Read(key)
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: write key file: %w", err)
	}
	err = os.Link(f.Name(), path)
	if err != nil && !errors.Is(err, os.ErrExist) {
		// No hard links on this file system: create the file in place.
		err = writeNewFile(path, hex.EncodeToString(key)+"\n")
	}
	if errors.Is(err, os.ErrExist) { // another process won the race
		key, err := readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("secretbox: create key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil { // make the new name durable
		d.Sync()
		d.Close()
	}
	return key, true, nil
}

// readKeyFile reads a hex key; a missing file is an error wrapping
// os.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: %s does not hold a %d-byte hex key", path, KeySize)
	}
	return key, nil
}

// writeNewFile creates path (mode 0600), failing if it exists, and writes
// and syncs data.
func writeNewFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
