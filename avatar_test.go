package auth_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// avatarPNG is a w×h opaque PNG of a gradient.
func avatarPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ { // a gradient from teal to violet
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(40 + 160*x/w), G: uint8(180 - 120*y/h), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func uploadAvatar(c *flClient, data []byte, filename string) *flResp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", filename)
	fw.Write(data)
	mw.Close()
	return c.do(http.MethodPost, "/auth/profile/avatar", mw.FormDataContentType(), &body)
}

// TestAvatar_UploadServeRemove: a picture uploaded on the profile page is
// stored re-encoded, shown on the profile and in the user button, named in
// /api/me, served with its type and never sniffed, cached by version, and
// removed on request.
func TestAvatar_UploadServeRemove(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	if me := ann.me(); strings.Contains(string(ann.get("/auth/api/me").body), "image_url") {
		t.Fatalf("a user without a picture has an image_url: %+v", me)
	}

	r := uploadAvatar(ann.flClient, avatarPNG(t, 600, 400), "me.png").want(http.StatusSeeOther)
	if loc := r.location(); loc != "/auth/profile" {
		t.Fatalf("upload redirects to %q", loc)
	}
	var me struct {
		User struct {
			ID       string `json:"id"`
			ImageURL string `json:"image_url"`
		}
	}
	ann.get("/auth/api/me").want(http.StatusOK).decode(&me)
	if !strings.HasPrefix(me.User.ImageURL, "/auth/avatars/"+me.User.ID+"?v=") {
		t.Fatalf("image_url = %q", me.User.ImageURL)
	}
	ann.get("/auth/profile").want(http.StatusOK).contains("Your profile picture was saved.", `src="`+me.User.ImageURL+`"`)

	// Served to anyone with the URL, as an image of the type it was
	// stored as, and never run.
	img := flNew(t, env).get(me.User.ImageURL).want(http.StatusOK)
	for k, want := range map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "public, max-age=31536000, immutable", "Content-Security-Policy": "default-src 'none'; sandbox"} {
		if got := img.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	got, format, err := image.Decode(bytes.NewReader(img.body))
	if err != nil || format != "jpeg" || got.Bounds().Dx() != 256 || got.Bounds().Dy() != 256 {
		t.Fatalf("served %s %v (%v), want a 256 px JPEG", format, got.Bounds(), err)
	}
	// Without the version, it is revalidated; with its ETag, 304.
	plain := flNew(t, env).get("/auth/avatars/" + me.User.ID).want(http.StatusOK)
	if cc := plain.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned Cache-Control %q", cc)
	}
	flNew(t, env).do(http.MethodGet, "/auth/avatars/"+me.User.ID, "", nil, "If-None-Match", plain.header.Get("ETag")).want(http.StatusNotModified)

	// The user button shows it.
	var button string
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		button = string(env.Auth.Components(r).UserButton())
	}))
	req, _ := http.NewRequest("GET", "/dashboard", nil)
	req.Header.Set("Cookie", "embedauth_session="+ann.sessionCookie())
	h.ServeHTTP(discardWriter{http.Header{}}, req)
	if !strings.Contains(button, `<img class="ea-avatar ea-avatar-img" src="`+me.User.ImageURL+`"`) {
		t.Fatalf("user button:\n%s", button)
	}

	// Other members of an organization see it beside her name.
	org := ogCreate(t, ann, "Acme", "acme").Organization
	ann.get("/auth/orgs/" + org.ID + "?tab=members").want(http.StatusOK).contains(`src="` + me.User.ImageURL + `"`)

	// Removing it.
	ogForm(ann.flClient, "/auth/profile/avatar/remove").want(http.StatusSeeOther)
	flNew(t, env).get("/auth/avatars/" + me.User.ID).want(http.StatusNotFound)
	if strings.Contains(string(ann.get("/auth/api/me").body), "image_url") {
		t.Fatal("image_url after removal")
	}
	ann.deleteJSON("/auth/api/me/image", nil).wantError(http.StatusNotFound, "image_not_found")
}

// TestAvatar_BadUploads: what is not a picture, too big a file and too big
// an image are refused with a message beside the field, and the picture
// kept is unchanged.
func TestAvatar_BadUploads(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	uploadAvatar(ann.flClient, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "x.svg").
		want(http.StatusUnprocessableEntity).fieldError("image")
	uploadAvatar(ann.flClient, make([]byte, 3<<20), "big.png").want(http.StatusRequestEntityTooLarge).fieldError("image")
	ann.do(http.MethodPost, "/auth/profile/avatar", "multipart/form-data; boundary=x", strings.NewReader("--x--\r\n")).
		want(http.StatusUnprocessableEntity).fieldError("image")

	// The JSON API: the body is the picture.
	put := func(ct string, body []byte) *flResp {
		return ann.do(http.MethodPut, "/auth/api/me/image", ct, bytes.NewReader(body))
	}
	put("application/json", []byte(`{}`)).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type")
	put("image/png", []byte("not a png")).wantError(http.StatusUnprocessableEntity, "invalid_image")
	put("image/png", make([]byte, 3<<20)).wantError(http.StatusRequestEntityTooLarge, "image_too_large")
	var out struct {
		User struct {
			ImageURL string `json:"image_url"`
		}
	}
	put("image/png", avatarPNG(t, 32, 32)).want(http.StatusOK).decode(&out)
	if out.User.ImageURL == "" {
		t.Fatal("PUT /api/me/image answered no image_url")
	}
	flNew(t, env).do(http.MethodPut, "/auth/api/me/image", "image/png", bytes.NewReader(avatarPNG(t, 8, 8))).wantError(http.StatusUnauthorized, "unauthenticated")
}
