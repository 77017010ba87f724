package fakeazure

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// BrowserOptions vary what the automated browser's user does.
type BrowserOptions struct {
	// Cancel makes the user cancel the sign-in: the browser posts error=access_denied back to the
	// application's redirect URI instead of the code.
	Cancel bool
	// Timeout bounds the whole visit; 0 means 30 seconds.
	Timeout time.Duration
}

// Browser returns an OpenURL func (for MSAL's public.WithOpenURL) that does what a system browser
// and a user would: it GETs the authorize URL from the fake (trusting its certificate), reads the
// auto-submitting form_post page, and POSTs the form to the application's loopback redirect URI.
// It returns when the application has answered the POST, or with an error naming what failed
// (an error page of the identity platform, or a loopback port nobody listens on).
func (s *Server) Browser() func(url string) error {
	return s.BrowserWith(BrowserOptions{})
}

// BrowserWith is Browser with options (cancelling the sign-in).
func (s *Server) BrowserWith(o BrowserOptions) func(url string) error {
	return func(authURL string) error {
		timeout := o.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return s.browse(ctx, authURL, o)
	}
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)
	inputRe = regexp.MustCompile(`(?is)<input[^>]*\btype="hidden"[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"`)
	errorRe = regexp.MustCompile(`(?is)<div id="error">(.*?)</div>`)
)

func (s *Server) browse(ctx context.Context, authURL string, o BrowserOptions) error {
	u, err := url.Parse(authURL)
	if err != nil {
		return fmt.Errorf("fake browser: bad sign-in URL: %w", err)
	}
	own, _ := url.Parse(s.URL)
	if u.Host != own.Host {
		return fmt.Errorf("fake browser: refusing to open %s: not the fake's sign-in page", u.Host)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return fmt.Errorf("fake browser: %w", err)
	}
	// Redirects (response_mode=query) are followed like a browser would, also to the plain-HTTP loopback.
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return fmt.Errorf("fake browser: open sign-in page: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if m := errorRe.FindSubmatch(body); m != nil {
			msg = html.UnescapeString(string(m[1]))
		}
		return fmt.Errorf("fake browser: sign-in page answered %d: %s", resp.StatusCode, msg)
	}
	if resp.Request.URL.Host != own.Host {
		return nil // redirected to the application already (response_mode=query)
	}
	m := formRe.FindSubmatch(body)
	if m == nil {
		return errors.New("fake browser: the sign-in page has no form to submit")
	}
	action := html.UnescapeString(string(m[1]))
	if !isLoopbackRedirect(action) {
		return fmt.Errorf("fake browser: refusing to post the sign-in to %s: not a loopback address", action)
	}
	fields := url.Values{}
	for _, in := range inputRe.FindAllSubmatch(body, -1) {
		fields.Add(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
	}
	if o.Cancel {
		fields = url.Values{"error": {"access_denied"},
			"error_description": {"AADSTS65004: User declined to consent to access the app."}, "state": {fields.Get("state")}}
	}
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(fields.Encode()))
	if err != nil {
		return fmt.Errorf("fake browser: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	loopback := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer loopback.CloseIdleConnections()
	r2, err := loopback.Do(post)
	if err != nil {
		return fmt.Errorf("fake browser: post the sign-in to the application at %s: %w", action, err)
	}
	_, _ = io.Copy(io.Discard, r2.Body)
	_ = r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		return fmt.Errorf("fake browser: the application at %s answered %d", action, r2.StatusCode)
	}
	return nil
}
