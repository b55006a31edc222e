package web

import (
	"context"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/i18n"
	"github.com/embedauth/auth/ui"
)

// The language of an answer is, in order: the signed-in user's saved
// choice (core.User.Language), the request's Accept-Language, then
// Config.DefaultLanguage. Mail and text messages go out in the
// recipient's saved language, else in the language of the request that
// caused them.

// acceptLanguageKey carries the request's Accept-Language header in the
// context (withClient puts it there), for what is decided without the
// request at hand, such as the language of a mail.
type acceptLanguageKey struct{}

// locale is the language of the answer to r.
func (a *Server) locale(r *http.Request) *i18n.Locale {
	pref := ""
	if st := stateFrom(r.Context()); st != nil {
		pref = st.user.Language
	} else if st, err := a.lookup(r); err == nil && st != nil {
		pref = st.user.Language
	}
	return a.msgs.Choose(pref, r.Header.Get("Accept-Language"))
}

// contextLocale is the language of the request ctx belongs to: the
// signed-in user's choice, else its Accept-Language, else the default.
func (a *Server) contextLocale(ctx context.Context) *i18n.Locale {
	pref := ""
	if st := stateFrom(ctx); st != nil {
		pref = st.user.Language
	}
	accept, _ := ctx.Value(acceptLanguageKey{}).(string)
	return a.msgs.Choose(pref, accept)
}

// mailLang is the language of a message to u (nil when the recipient has
// no account, such as an invited address): u's saved choice, else the
// language of the request ctx belongs to.
func (a *Server) mailLang(ctx context.Context, u *core.User) string {
	if u != nil {
		if l := a.msgs.Lookup(u.Language); l != nil {
			return l.Tag()
		}
	}
	return a.contextLocale(ctx).Tag()
}

// translateError returns e with its messages in the language of the
// answer to r.
func (a *Server) translateError(r *http.Request, e *core.Error) *core.Error {
	l := a.locale(r)
	if e.Format != "" {
		c := *e
		c.Message = l.T(e.Format, e.Args...)
		return &c
	}
	if l.Tag() == "en" && !l.Has(e.Message) {
		return e
	}
	c := *e
	c.Message = l.T(e.Message)
	if len(e.Fields) > 0 {
		c.Fields = make([]core.FieldError, len(e.Fields))
		for i, f := range e.Fields {
			f.Message = l.T(f.Message)
			c.Fields[i] = f
		}
	}
	return &c
}

// languageOptions are the choices of the profile's language select: the
// catalogs' languages, each named in itself.
func (a *Server) languageOptions(current string) []ui.LanguageOption {
	out := []ui.LanguageOption{{Value: "", Label: "Automatic (from your browser)", Selected: current == ""}}
	for _, tag := range a.msgs.Languages() {
		out = append(out, ui.LanguageOption{Value: tag, Label: languageName(tag), Selected: tag == current})
	}
	return out
}

// languageNames are the shipped languages' names, each in itself.
var languageNames = map[string]string{
	"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español",
	"pt-BR": "Português (Brasil)", "ja": "日本語", "ar": "العربية",
}

func languageName(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	return tag
}

// errUnknownLanguage refuses a language the catalogs lack.
var errUnknownLanguage = core.Invalid("language", "unknown_language", "Choose one of the languages offered.")

// updateLanguage saves the signed-in user's language: a tag the catalogs
// have (saved in its canonical form), or "" for none.
func (a *Server) updateLanguage(r *http.Request, st *authState, raw string) (core.User, error) {
	lang := ""
	if raw != "" {
		name, ok := a.msgs.Known(raw)
		if !ok {
			return core.User{}, errUnknownLanguage
		}
		lang = name
	}
	u, err := a.db.UpdateUser(r.Context(), st.user.ID, core.UserUpdate{Language: &lang})
	if err != nil {
		return u, err
	}
	a.cache.forgetUser(u.ID)
	return u, nil
}

func (a *Server) languageForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.updateLanguage(r, st, r.PostFormValue("language"))
		return "Language saved.", err
	})
}
