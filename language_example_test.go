package auth_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing/fstest"

	auth "github.com/embedauth/auth"
)

// An app changes a message in English and adds Italian with files of its
// own (in a real app, an embed.FS of translations/*.json), and makes
// Italian the language of browsers that name none embedauth has.
func ExampleConfig_translations() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)
	translations := fstest.MapFS{
		"en.json": {Data: []byte(`{"Welcome back. Sign in to continue.": "Good to see you again."}`)},
		"it.json": {Data: []byte(`{"Welcome back. Sign in to continue.": "Bentornato. Accedi per continuare.",
			"%d minutes": {"one": "%d minuto", "other": "%d minuti"}}`)},
	}
	a, err := auth.New(auth.Config{DatabasePath: filepath.Join(dir, "app.db"), BaseURL: "http://localhost:8080",
		DefaultLanguage: "it", Translations: translations})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	subtitle := regexp.MustCompile(`<p class="ea-subtitle">([^<]*)</p>`)
	for _, acceptLanguage := range []string{"en-US,en;q=0.9", "de-DE", "zh-CN", ""} {
		req := httptest.NewRequest("GET", "http://localhost:8080/auth/sign-in", nil)
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		fmt.Printf("%q: %s\n", acceptLanguage, subtitle.FindStringSubmatch(rec.Body.String())[1])
	}
	// Output:
	// "en-US,en;q=0.9": Good to see you again.
	// "de-DE": Willkommen zurück. Melden Sie sich an, um fortzufahren.
	// "zh-CN": Bentornato. Accedi per continuare.
	// "": Bentornato. Accedi per continuare.
}
