// Package httpx holds the HTTP plumbing every embedauth handler shares:
// handlers that return errors, one adapter that maps errors to status codes
// and to a JSON or HTML answer, and strict request decoding.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
)

// Errorf returns a public error with the given status.
func Errorf(status int, code, format string, args ...any) *core.Error {
	return &core.Error{Kind: statusKinds[status], Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a public error about one form field (422).
func FieldError(field, code, message string) *core.Error {
	return core.Invalid(field, code, message)
}

// statusKinds gives the Kind of an error built for a status, so that
// Status gives the status back.
var statusKinds = map[int]error{
	http.StatusBadRequest:            core.ErrBadRequest,
	http.StatusUnauthorized:          core.ErrUnauthenticated,
	http.StatusForbidden:             core.ErrForbidden,
	http.StatusNotFound:              core.ErrNotFound,
	http.StatusConflict:              core.ErrConflict,
	http.StatusGone:                  core.ErrExpired,
	http.StatusRequestEntityTooLarge: core.ErrTooLarge,
	http.StatusUnsupportedMediaType:  core.ErrUnsupported,
	http.StatusUnprocessableEntity:   core.ErrInvalidInput,
	http.StatusTooManyRequests:       core.ErrRateLimited,
	http.StatusBadGateway:            core.ErrUnavailable,
}

// Status is the HTTP status of a refusal, from its Kind. A refusal without
// a Kind is an internal error.
func Status(e *core.Error) int {
	k := e.Kind
	switch {
	case k == nil:
		return http.StatusInternalServerError
	case errors.Is(k, core.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(k, core.ErrUnauthenticated), errors.Is(k, core.ErrInvalidCredentials):
		return http.StatusUnauthorized
	case errors.Is(k, core.ErrForbidden), errors.Is(k, core.ErrLimitReached), errors.Is(k, core.ErrBanned):
		return http.StatusForbidden
	case errors.Is(k, core.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(k, core.ErrConflict), errors.Is(k, core.ErrAlreadyMember), errors.Is(k, core.ErrAlreadyInvited),
		errors.Is(k, core.ErrLastAdmin), errors.Is(k, core.ErrLastSignInMethod):
		return http.StatusConflict
	case errors.Is(k, core.ErrExpired), errors.Is(k, core.ErrUsed):
		return http.StatusGone
	case errors.Is(k, core.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(k, core.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(k, core.ErrInvalidInput), errors.Is(k, core.ErrInvalidCode):
		return http.StatusUnprocessableEntity
	case errors.Is(k, core.ErrRateLimited), errors.Is(k, core.ErrLocked):
		return http.StatusTooManyRequests
	case errors.Is(k, core.ErrUnavailable):
		return http.StatusBadGateway
	}
	return http.StatusBadRequest
}

// Public returns err as a refusal: itself when it is one, a mapping of the
// errors that are safe to name, or an internal error (status 500).
func Public(err error) *core.Error {
	var pe *core.Error
	if errors.As(err, &pe) {
		return pe
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &core.Error{Kind: core.ErrTooLarge, Code: "request_too_large", Message: "The request is too large.", Err: err}
	case errors.Is(err, core.ErrInvalidInput):
		return &core.Error{Kind: core.ErrInvalidInput, Code: "invalid_input", Message: "Some of the data sent is not valid.", Err: err}
	case errors.Is(err, core.ErrRateLimited):
		return &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited", Message: "Too many requests. Try again in a moment.", RetryAfter: time.Minute, Err: err}
	}
	return &core.Error{Code: "internal_error", Message: "Something went wrong on our side. Please try again.", Err: err}
}

// HandlerFunc is an HTTP handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Adapter turns HandlerFuncs into http.Handlers.
type Adapter struct {
	Logger *slog.Logger
	// Page writes an error as an HTML page; nil writes JSON.
	Page func(w http.ResponseWriter, r *http.Request, e *core.Error)
	// Translate, if set, returns e with its messages in the language of
	// the answer to r (its codes and fields unchanged), before a JSON
	// answer is written. Pages translate their own text.
	Translate func(r *http.Request, e *core.Error) *core.Error
}

// Handle wraps fn; the answer is JSON when the client asked for JSON.
func (a *Adapter) Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			a.Write(w, r, err)
		}
	})
}

// Write answers err.
func (a *Adapter) Write(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; there is no one to answer
	}
	e := Public(err)
	if Status(e) >= 500 {
		a.Logger.ErrorContext(r.Context(), "embedauth: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if WantsJSON(r) || a.Page == nil {
		if a.Translate != nil {
			e = a.Translate(r, e)
		}
		WriteError(w, e)
		return
	}
	a.Page(w, r, e)
}

// WantsJSON reports whether the client is an API client: a JSON body or
// Accept header, a bearer token, or a path under the JSON API.
func WantsJSON(r *http.Request) bool {
	if strings.Contains(r.URL.Path, "/api/") {
		return true
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return true
	}
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
		return true
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json"
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		// Fields names each field at fault when several are.
		Fields []core.FieldError `json:"fields,omitempty"`
	} `json:"error"`
}

// WriteError writes e as JSON.
func WriteError(w http.ResponseWriter, e *core.Error) {
	var body ErrorBody
	body.Error.Code, body.Error.Message, body.Error.Field, body.Error.Fields = e.Code, e.Message, e.Field, e.Fields
	WriteJSON(w, Status(e), body)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// DecodeJSON reads one JSON object into dst strictly: the content type must
// be application/json, unknown fields and trailing data are refused, and
// the body is limited to max bytes. An empty body sent with no content type
// at all (Content-Length 0) is taken as {}: dst is left as it is, and the
// handler's own checks decide whether the fields it needs are missing.
func DecodeJSON(w http.ResponseWriter, r *http.Request, max int64, dst any) error {
	if r.ContentLength == 0 && len(r.Header.Values("Content-Type")) == 0 {
		return nil
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the request body as application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return Public(err)
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return Errorf(http.StatusBadRequest, "invalid_json", "The request body is not valid JSON.")
		case errors.As(err, &te):
			return &core.Error{Kind: core.ErrBadRequest, Code: "invalid_request", Message: fmt.Sprintf("The field %q has the wrong type.", te.Field),
				Format: "The field %q has the wrong type.", Args: []any{te.Field}, Field: te.Field}
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "invalid_request", "The request body is empty.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &core.Error{Kind: core.ErrBadRequest, Code: "unknown_field", Message: fmt.Sprintf("The field %q is not recognised.", field),
				Format: "The field %q is not recognised.", Args: []any{field}, Field: field}
		}
		return Errorf(http.StatusBadRequest, "invalid_json", "The request body is not valid JSON.")
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, "invalid_json", "The request body must hold one JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Public(err)
		}
		return Errorf(http.StatusBadRequest, "invalid_json", "The request body must hold one JSON object.")
	}
	return nil
}

// ParseForm parses a url-encoded or multipart form limited to max bytes.
func ParseForm(w http.ResponseWriter, r *http.Request, max int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(max)
	default:
		return Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded.")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Public(err)
		}
		return Errorf(http.StatusBadRequest, "invalid_form", "The form could not be read.")
	}
	return nil
}
