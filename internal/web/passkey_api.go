package web

import (
	"encoding/json"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// The passkey JSON API. Begin answers {"publicKey": options} in the
// standard JSON shape (PublicKeyCredentialCreationOptionsJSON or
// PublicKeyCredentialRequestOptionsJSON) for
// PublicKeyCredential.parseCreationOptionsFromJSON or
// parseRequestOptionsFromJSON; finish takes what
// PublicKeyCredential.toJSON() gives.

// credentialJSON is a RegistrationResponseJSON or
// AuthenticationResponseJSON. Its members are checked strictly, like every
// API body; the response object inside is the WebAuthn library's to read.
type credentialJSON struct {
	ID                      string          `json:"id"`
	RawID                   string          `json:"rawId"`
	Type                    string          `json:"type"`
	Response                json.RawMessage `json:"response"`
	AuthenticatorAttachment *string         `json:"authenticatorAttachment,omitempty"`
	ClientExtensionResults  json.RawMessage `json:"clientExtensionResults,omitempty"`
}

// readCredential decodes a finish request's body and returns it for the
// ceremony.
func readCredential(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var c credentialJSON
	if err := httpx.DecodeJSON(w, r, maxBody, &c); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// passkeyUser is apiUser behind the passkey guard.
func (a *Server) passkeyUser(r *http.Request) (*authState, error) {
	if a.pk == nil {
		return nil, errPasskeysOff
	}
	return a.apiUser(r)
}

func writeOptions(w http.ResponseWriter, opts json.RawMessage) error {
	return httpx.WriteJSON(w, http.StatusOK, opts)
}

func (a *Server) apiPasskeySignInBegin(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	opts, err := a.passkeySignInBegin(r, in.Email)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

func (a *Server) apiPasskeySignInFinish(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	st, err := a.passkeySignIn(r, body)
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return writeMe(w, st)
}

func (a *Server) apiPasskeyRegisterBegin(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeyRegisterBegin(r, st)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

type passkeyBody struct {
	Passkey core.Passkey `json:"passkey"`
}

func (a *Server) apiPasskeyRegisterFinish(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	p, err := a.passkeyRegisterFinish(r, st, body)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, passkeyBody{p})
}

func (a *Server) apiPasskeys(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.UserPasskeys(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []core.Passkey{}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Passkeys []core.Passkey `json:"passkeys"`
	}{list})
}

func (a *Server) apiRenamePasskey(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	p, err := a.renamePasskey(r, st, r.PathValue("id"), in.Name)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, passkeyBody{p})
}

func (a *Server) apiDeletePasskey(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.deletePasskey(r, st, r.PathValue("id"), in.Password, "password"); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

func (a *Server) apiPasskeyReauthBegin(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeyReauthBegin(r, st)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

func (a *Server) apiPasskeyReauthFinish(w http.ResponseWriter, r *http.Request) error {
	st, err := a.passkeyUser(r)
	if err != nil {
		return err
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	if err := a.passkeyReauthFinish(r, st, body); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "reauthenticated"})
}
