package social

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxResponse bounds every profile answer read from a provider.
const maxResponse = 1 << 20

// getJSON reads url with the user's token into v.
func (p *Provider) getJSON(ctx context.Context, url string, tok *oauth2.Token, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	if p.cfg.Kind == KindGitHub {
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return err
	}
	if len(body) > maxResponse {
		return fmt.Errorf("GET %s: answer over %d bytes", url, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}

// apiProfile reads the profile of a plain OAuth 2.0 provider.
func (p *Provider) apiProfile(ctx context.Context, tok *oauth2.Token) (Profile, error) {
	var prof Profile
	var err error
	switch p.cfg.Kind {
	case KindGitHub:
		prof, err = p.githubProfile(ctx, tok)
	case KindDiscord:
		prof, err = p.discordProfile(ctx, tok)
	default:
		err = fmt.Errorf("no profile API for kind %q", p.cfg.Kind)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %s: %v", ErrProfile, p.cfg.ID, err)
	}
	if prof.Subject == "" {
		return Profile{}, fmt.Errorf("%w: %s: no user id", ErrProfile, p.cfg.ID)
	}
	return prof, nil
}

// githubProfile reads /user, and /user/emails for the primary verified
// address: /user's email is the public one, which GitHub does not say is
// verified.
func (p *Provider) githubProfile(ctx context.Context, tok *oauth2.Token) (Profile, error) {
	api := strings.TrimSuffix(p.cfg.APIURL, "/")
	var u struct {
		ID        int64  `json:"id"`
		Login     string `json:"login"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
	}
	if err := p.getJSON(ctx, api+"/user", tok, &u); err != nil {
		return Profile{}, err
	}
	if u.ID == 0 {
		return Profile{}, fmt.Errorf("GET /user: no id")
	}
	prof := Profile{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name, AvatarURL: u.AvatarURL}
	if prof.Name == "" {
		prof.Name = u.Login
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	// Without the user:email scope GitHub answers 404 here: the user is
	// still signed in, without an email.
	if err := p.getJSON(ctx, api+"/user/emails", tok, &emails); err == nil {
		for _, e := range emails {
			if e.Primary && e.Verified && e.Email != "" {
				prof.Email, prof.EmailVerified = e.Email, true
			}
		}
	}
	return prof, nil
}

// discordProfile reads /users/@me.
func (p *Provider) discordProfile(ctx context.Context, tok *oauth2.Token) (Profile, error) {
	api := strings.TrimSuffix(p.cfg.APIURL, "/")
	var u struct {
		ID         string `json:"id"`
		Username   string `json:"username"`
		GlobalName string `json:"global_name"`
		Avatar     string `json:"avatar"`
		Email      string `json:"email"`
		Verified   bool   `json:"verified"`
	}
	if err := p.getJSON(ctx, api+"/users/@me", tok, &u); err != nil {
		return Profile{}, err
	}
	prof := Profile{Subject: u.ID, Name: u.GlobalName, Email: u.Email, EmailVerified: u.Email != "" && u.Verified}
	if prof.Name == "" {
		prof.Name = u.Username
	}
	if u.Avatar != "" && u.ID != "" {
		prof.AvatarURL = "https://cdn.discordapp.com/avatars/" + u.ID + "/" + u.Avatar + ".png"
	}
	return prof, nil
}

// expiryDelta refreshes a token a little before it expires, so a call
// made with it does not fail on the way.
const expiryDelta = 30 * time.Second

// Refresh returns t if its access token is still valid, or a new token
// from the provider's token endpoint using t's refresh token. A token
// that expired without a refresh token is an error wrapping
// [ErrExchange]. The new token keeps t's refresh token when the provider
// does not rotate it.
func (p *Provider) Refresh(ctx context.Context, t Token) (Token, error) {
	conf, _, err := p.oauthConfig(ctx)
	if err != nil {
		return Token{}, err
	}
	ot := &oauth2.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Expiry: t.Expiry}
	if !t.Expiry.IsZero() && p.cfg.Now().Before(t.Expiry.Add(-expiryDelta)) {
		return t, nil
	}
	if t.RefreshToken == "" {
		if t.Expiry.IsZero() {
			return t, nil
		}
		return Token{}, fmt.Errorf("%w: %s: token expired and there is no refresh token", ErrExchange, p.cfg.ID)
	}
	ot.Expiry = time.Unix(1, 0) // expired for x/oauth2 too, whatever its own clock says
	nt, err := conf.TokenSource(p.ctx(ctx), ot).Token()
	if err != nil {
		return Token{}, fmt.Errorf("%w: %s: refresh: %v", ErrExchange, p.cfg.ID, err)
	}
	return p.fromOAuth(nt), nil
}
