package browsertest

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestFindChromiumExplicitMissing(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-such-chromium"))
	if path, tried := FindChromium(); path != "" {
		t.Fatalf("FindChromium = %q (tried %s), want nothing for a missing explicit path", path, tried)
	}
	t.Setenv(EnvChromium, "no-such-browser-in-path")
	if path, _ := FindChromium(); path != "" {
		t.Fatalf("FindChromium = %q, want nothing for a name not in PATH", path)
	}
}

func TestFindChromiumExplicitDirectory(t *testing.T) {
	t.Setenv(EnvChromium, t.TempDir())
	if path, _ := FindChromium(); path != "" {
		t.Fatalf("FindChromium = %q, want nothing for a directory", path)
	}
}

// testSite is a tiny site with a form that redirects after POST, the shape
// of every embedauth form.
func testSite(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>form</title>
<form method="post" action="/echo" id="f"><input id="q" name="q" value="old"><button type="submit" id="go">Go</button></form>
<details id="menu"><summary>Menu</summary><p id="item">Hidden item</p></details>`)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/result?q="+r.PostFormValue("q"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>result</title><p id="out">%s</p>`, html.EscapeString(r.URL.Query().Get("q")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTab(t *testing.T) {
	srv := testSite(t)
	tab := Browser(t)

	if got := tab.Navigate(srv.URL + "/"); got != http.StatusOK {
		t.Fatalf("Navigate status = %d, want 200", got)
	}
	tab.Fill("#q", "hello")
	if got := tab.ClickAndWait("#go"); got != http.StatusOK {
		t.Fatalf("ClickAndWait status = %d, want 200", got)
	}
	if got := tab.Path(); got != "/result?q=hello" {
		t.Fatalf("Path = %q, want /result?q=hello (Fill must replace the old value)", got)
	}
	if got := tab.Text("#out"); got != "hello" {
		t.Fatalf("Text = %q, want hello", got)
	}

	tab.Navigate(srv.URL + "/")
	tab.Fill("#q", "again")
	if got := tab.Submit("#q"); got != http.StatusOK {
		t.Fatalf("Submit status = %d, want 200", got)
	}
	if got := tab.Text("#out"); got != "again" {
		t.Fatalf("Text after Submit = %q, want again", got)
	}

	tab.Navigate(srv.URL + "/")
	tab.Click("#menu summary")
	tab.WaitVisible("#item")

	if got := tab.Navigate(srv.URL + "/missing"); got != http.StatusNotFound {
		t.Fatalf("Navigate to a missing page: status = %d, want 404", got)
	}

	t.Setenv(EnvArtifacts, t.TempDir())
	path := tab.Screenshot("tab")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG", path)
	}
}

// TestTabsAreIsolated checks that each test's tab has its own cookies.
func TestTabsAreIsolated(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: "1", Path: "/"})
		fmt.Fprint(w, `<p id="v">set</p>`)
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		v := "none"
		if c, err := r.Cookie("c"); err == nil {
			v = c.Value
		}
		fmt.Fprintf(w, `<p id="v">%s</p>`, v)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	a, b := Browser(t), Browser(t)
	a.Navigate(srv.URL + "/set")
	a.Navigate(srv.URL + "/get")
	if got := a.Text("#v"); got != "1" {
		t.Fatalf("tab a cookie = %q, want 1", got)
	}
	b.Navigate(srv.URL + "/get")
	if got := b.Text("#v"); got != "none" {
		t.Fatalf("tab b sees tab a's cookie: %q", got)
	}
}
