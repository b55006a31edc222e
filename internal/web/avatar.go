// Profile pictures: uploading one (a form on the profile page, or PUT
// /api/me/image), removing it, and serving it (GET /avatars/{user_id}).
// The rules (formats, limits, re-encoding) are account.CleanImage's.

package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// imageUploadLimit is the largest request an upload may be: the picture
// and the multipart form around it.
const imageUploadLimit = account.MaxImageBytes + 64<<10

// imageURL is the URL of the user's profile picture, "" when they have
// none. The version in it changes with the picture, so browsers may keep
// each one for good.
func (a *Server) imageURL(u core.User) string {
	if u.ImageVersion == 0 {
		return ""
	}
	return a.s.Path + "/avatars/" + u.ID + "?v=" + strconv.FormatInt(u.ImageVersion, 36)
}

// setImage stores data as the signed-in user's picture.
func (a *Server) setImage(r *http.Request, st *authState, data []byte) (core.User, error) {
	u, err := a.account.SetImage(r.Context(), st.user.ID, data)
	if err != nil {
		return u, err
	}
	a.cache.forgetUser(u.ID)
	return u, nil
}

func (a *Server) removeImage(r *http.Request, st *authState) (core.User, error) {
	u, err := a.account.RemoveImage(r.Context(), st.user.ID)
	if err != nil {
		return u, err
	}
	a.cache.forgetUser(u.ID)
	return u, nil
}

// avatarForm takes the picture uploaded from the profile page.
func (a *Server) avatarForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileUpload(w, r, imageUploadLimit, account.ErrImageTooLarge, func(st *authState) (string, error) {
		f, _, err := r.FormFile("image")
		if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
			return "", core.Invalid("image", "image_required", "Choose a picture to upload.")
		}
		if err != nil {
			return "", httpx.Errorf(http.StatusBadRequest, "invalid_form", "The form could not be read.")
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, account.MaxImageBytes+1))
		if err != nil {
			return "", err
		}
		_, err = a.setImage(r, st, data)
		return "Your profile picture was saved.", err
	})
}

func (a *Server) avatarRemoveForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.removeImage(r, st)
		return "Your profile picture was removed.", err
	})
}

// apiSetImage takes the picture as the request body (Content-Type
// image/png, image/jpeg or image/gif).
func (a *Server) apiSetImage(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	switch r.Header.Get("Content-Type") {
	case "image/png", "image/jpeg", "image/gif":
	default:
		return httpx.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the picture as image/png, image/jpeg or image/gif.")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, account.MaxImageBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return account.ErrImageTooLarge
	}
	if err != nil {
		return account.ErrImageFormat.With(err)
	}
	u, err := a.setImage(r, st, data)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		User userJSON `json:"user"`
	}{a.userJSON(u)})
}

func (a *Server) apiRemoveImage(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	u, err := a.removeImage(r, st)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		User userJSON `json:"user"`
	}{a.userJSON(u)})
}

// avatar serves a user's profile picture: to anyone with its URL, as
// hosted services do (other members of an organization see it), with the
// type it was stored with, never sniffed, and never run as a document.
func (a *Server) avatar(w http.ResponseWriter, r *http.Request) error {
	img, err := a.db.UserImage(r.Context(), r.PathValue("user_id"))
	if errors.Is(err, core.ErrNotFound) {
		return httpx.Errorf(http.StatusNotFound, "image_not_found", "There is no such picture.")
	}
	if err != nil {
		return err
	}
	h := w.Header()
	version := strconv.FormatInt(img.Version, 36)
	etag := `"` + version + `"`
	h.Set("Content-Type", img.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(img.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(img.Data)
	}
	return nil
}
