package account

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"

	"github.com/embedauth/auth/core"
)

// Limits on profile pictures.
const (
	// MaxImageBytes is the largest upload accepted.
	MaxImageBytes = 2 << 20
	// MaxImageSide is the largest width or height accepted, in pixels,
	// checked from the header before anything is decoded, so a small file
	// that claims a huge image costs nothing.
	MaxImageSide = 4096
	// ImageSide is the side of the square picture kept.
	ImageSide = 256
)

// imageSlots bounds the pictures being decoded at once (see SetImage).
var imageSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// Refusals of a profile picture.
var (
	ErrImageTooLarge = &core.Error{Kind: core.ErrTooLarge, Code: "image_too_large", Field: "image", Message: "Choose a picture of at most 2 MB."}
	ErrImageFormat   = core.Invalid("image", "invalid_image", "Choose a PNG, JPEG or GIF picture.")
	ErrImageSize     = core.Invalid("image", "invalid_image_size", "Choose a picture of at most 4096 by 4096 pixels, and at least 1 by 1.")
	ErrNoImage       = core.Refuse(core.ErrNotFound, "image_not_found", "You have no profile picture.")
)

// CleanImage checks an uploaded profile picture and re-encodes it: a PNG,
// JPEG or GIF (its first frame) of at most [MaxImageBytes] and
// [MaxImageSide] pixels a side, cropped to its centre square and scaled
// down to [ImageSide] pixels. The result is a JPEG, or a PNG when the
// picture has transparent pixels; nothing of the upload but its pixels is
// kept (no metadata, no other frames, no bytes after the image), so what is
// served later is an image this code wrote.
func CleanImage(data []byte) (contentType string, out []byte, err error) {
	if len(data) > MaxImageBytes {
		return "", nil, ErrImageTooLarge
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg" && format != "gif") {
		return "", nil, ErrImageFormat
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return "", nil, ErrImageSize
	}
	var src image.Image
	switch format {
	case "png":
		src, err = png.Decode(bytes.NewReader(data))
	case "jpeg":
		src, err = jpeg.Decode(bytes.NewReader(data))
	case "gif":
		src, err = gif.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return "", nil, ErrImageFormat
	}
	dst := squareThumbnail(src, ImageSide)
	var buf bytes.Buffer
	contentType = "image/png"
	if opaque(dst) {
		contentType = "image/jpeg"
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 88})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst)
	}
	if err != nil {
		return "", nil, err
	}
	return contentType, buf.Bytes(), nil
}

// squareThumbnail crops src to its centre square and scales it to side
// pixels (down by averaging the source pixels each one covers; a smaller
// picture is scaled up by repeating them).
func squareThumbnail(src image.Image, side int) *image.NRGBA {
	b := src.Bounds()
	n := min(b.Dx(), b.Dy())
	crop := image.Rect(0, 0, n, n).Add(b.Min).Add(image.Pt((b.Dx()-n)/2, (b.Dy()-n)/2))
	// Work on straight 8-bit RGBA (one conversion for every source type).
	rgba := image.NewNRGBA(image.Rect(0, 0, n, n))
	draw.Draw(rgba, rgba.Bounds(), src, crop.Min, draw.Src)
	dst := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		y0, y1 := y*n/side, max((y+1)*n/side, y*n/side+1)
		for x := 0; x < side; x++ {
			x0, x1 := x*n/side, max((x+1)*n/side, x*n/side+1)
			var r, g, bl, a, count uint64
			for sy := y0; sy < y1; sy++ {
				row := rgba.Pix[sy*rgba.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					pa := uint64(p[3])
					// Colours weighed by alpha, so transparent pixels add none.
					r, g, bl, a = r+uint64(p[0])*pa, g+uint64(p[1])*pa, bl+uint64(p[2])*pa, a+pa
					count++
				}
			}
			c := color.NRGBA{}
			if a > 0 {
				c = color.NRGBA{R: uint8(r / a), G: uint8(g / a), B: uint8(bl / a), A: uint8(a / count)}
			}
			dst.SetNRGBA(x, y, c)
		}
	}
	return dst
}

func opaque(img *image.NRGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0xff {
			return false
		}
	}
	return true
}

// SetImage makes data, checked and re-encoded by [CleanImage], the user's
// profile picture. It returns the user with its new ImageVersion.
// At most one picture a core is decoded at a time: a full-size photo takes
// tens of megabytes while it is cropped, and uploads must not add up to
// more than the machine has.
func (s *Service[M]) SetImage(ctx context.Context, userID string, data []byte) (core.User, error) {
	select {
	case imageSlots <- struct{}{}:
	case <-ctx.Done():
		return core.User{}, ctx.Err()
	}
	ct, out, err := CleanImage(data)
	<-imageSlots
	if err != nil {
		return core.User{}, err
	}
	return s.store.SetUserImage(ctx, userID, ct, out)
}

// RemoveImage removes the user's profile picture ([ErrNoImage] when there
// is none).
func (s *Service[M]) RemoveImage(ctx context.Context, userID string) (core.User, error) {
	u, err := s.store.DeleteUserImage(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return u, ErrNoImage
	}
	return u, err
}
