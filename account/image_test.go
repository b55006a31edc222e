package account_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
)

func encoded(t *testing.T, format string, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// halves is a w×h picture, red on its left half and blue on its right,
// with alpha a.
func halves(w, h int, a uint8) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: 255, A: a}
			if x >= w/2 {
				c = color.NRGBA{B: 255, A: a}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestCleanImage_ReencodesToASquare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, format, wantType string
		img                    image.Image
	}{
		{"wide opaque PNG", "png", "image/jpeg", halves(900, 300, 255)},
		{"tall JPEG", "jpeg", "image/jpeg", halves(200, 600, 255)},
		{"GIF", "gif", "image/jpeg", halves(64, 64, 255)},
		{"transparent PNG", "png", "image/png", halves(300, 300, 128)},
		{"one pixel", "png", "image/jpeg", halves(1, 1, 255)},
	} {
		ct, out, err := account.CleanImage(encoded(t, tc.format, tc.img))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ct != tc.wantType {
			t.Errorf("%s: stored as %s, want %s", tc.name, ct, tc.wantType)
		}
		got, format, err := image.Decode(bytes.NewReader(out))
		if err != nil || "image/"+format != ct {
			t.Fatalf("%s: the stored bytes are %q (%v), said to be %s", tc.name, format, err, ct)
		}
		if b := got.Bounds(); b.Dx() != account.ImageSide || b.Dy() != account.ImageSide {
			t.Errorf("%s: %v, want a %d px square", tc.name, b, account.ImageSide)
		}
	}
	// The centre square of a wide picture is kept: of a 900×300 picture red
	// on its left half, the square from x=300 to 600 is red on its left and
	// blue on its right.
	_, out, _ := account.CleanImage(encoded(t, "png", halves(900, 300, 255)))
	got, _, _ := image.Decode(bytes.NewReader(out))
	if r, _, b, _ := got.At(10, 128).RGBA(); r < b {
		t.Error("the left of the crop is not red")
	}
	if r, _, b, _ := got.At(245, 128).RGBA(); b < r {
		t.Error("the right of the crop is not blue")
	}
}

// TestCleanImage_KeepsOnlyPixels: what follows the image in the file (a
// script, a second file) is not in what is stored.
func TestCleanImage_KeepsOnlyPixels(t *testing.T) {
	t.Parallel()
	data := append(encoded(t, "png", halves(40, 40, 255)), []byte("<script>alert(1)</script>")...)
	_, out, err := account.CleanImage(data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("<script>")) {
		t.Fatal("bytes after the image were kept")
	}
}

func TestCleanImage_Refusals(t *testing.T) {
	t.Parallel()
	huge := pngHeader(t, 100000, 100000) // a few bytes that claim a huge image
	for _, tc := range []struct {
		name string
		data []byte
		want *core.Error
	}{
		{"empty", nil, account.ErrImageFormat},
		{"text", []byte("hello, I am not a picture"), account.ErrImageFormat},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), account.ErrImageFormat},
		{"truncated PNG", encoded(t, "png", halves(50, 50, 255))[:60], account.ErrImageFormat},
		{"huge dimensions", huge, account.ErrImageSize},
		{"too many bytes", make([]byte, account.MaxImageBytes+1), account.ErrImageTooLarge},
	} {
		_, _, err := account.CleanImage(tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		var e *core.Error
		if errors.As(err, &e) && e.Field != "image" {
			t.Errorf("%s: refusal names field %q, want image", tc.name, e.Field)
		}
	}
}

// pngHeader is the start of a PNG whose header claims w×h pixels.
func pngHeader(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr[:]...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}
