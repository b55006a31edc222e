package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TwilioConfig configures a [TwilioSender].
type TwilioConfig struct {
	// BaseURL is the API's origin. Default "https://api.twilio.com"; a
	// provider with a Twilio-compatible API, or a test server, has its own.
	BaseURL string
	// AccountSID names the account in the request path.
	AccountSID string
	// Username and Password authenticate (HTTP Basic): an API key SID and
	// its secret, or the AccountSID and auth token. Username defaults to
	// AccountSID.
	Username string
	Password string
	// From is the sending number (E.164) or sender id. Either From or
	// MessagingServiceSID is required.
	From string
	// MessagingServiceSID sends through a messaging service instead of From.
	MessagingServiceSID string
	// Client is the HTTP client. Default: one with a 15 s timeout.
	Client *http.Client
}

// TwilioSender sends text messages through the Twilio Messages API
// (POST /2010-04-01/Accounts/{AccountSID}/Messages.json), or any provider
// that speaks it. It is safe for concurrent use.
type TwilioSender struct {
	cfg      TwilioConfig
	endpoint string
}

// NewTwilioSender checks cfg and returns a sender.
func NewTwilioSender(cfg TwilioConfig) (*TwilioSender, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.twilio.com"
	}
	u, err := url.Parse(cfg.BaseURL)
	var errs []error
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BaseURL %q is not an http(s) URL", cfg.BaseURL))
	}
	if cfg.AccountSID == "" {
		errs = append(errs, errors.New("the AccountSID is required"))
	}
	if cfg.Password == "" {
		errs = append(errs, errors.New("the Password (auth token or API key secret) is required"))
	}
	if cfg.From == "" && cfg.MessagingServiceSID == "" {
		errs = append(errs, errors.New("one of From or MessagingServiceSID is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mail: twilio: %w", err)
	}
	if cfg.Username == "" {
		cfg.Username = cfg.AccountSID
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	return &TwilioSender{cfg: cfg, endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" +
		url.PathEscape(cfg.AccountSID) + "/Messages.json"}, nil
}

// TwilioError is an error answer of the API.
type TwilioError struct {
	// Status is the HTTP status.
	Status int
	// Code and Message are the provider's error code and text.
	Code    int
	Message string
}

// Error describes the answer.
func (e *TwilioError) Error() string {
	return fmt.Sprintf("mail: twilio: HTTP %d: error %d: %s", e.Status, e.Code, e.Message)
}

// Temporary reports whether a retry may succeed (rate limits and server
// errors).
func (e *TwilioError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// SendSMS posts m to the Messages API. An answer other than 2xx is a
// [*TwilioError].
func (s *TwilioSender) SendSMS(ctx context.Context, m SMS) error {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if s.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	} else {
		form.Set("From", s.cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("mail: twilio: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("mail: twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &TwilioError{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	var b struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil && b.Message != "" {
		e.Code, e.Message = b.Code, b.Message
	}
	return e
}
