package auth_test

// The OpenAPI document at /auth/api/openapi.json against the JSON API it
// describes: the same routes both ways, error answers in the shared Error
// schema, and real answers that match the documented schemas.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"math"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

// imageBody lists the operations whose request body is a picture
// (image/png, image/jpeg or image/gif), not JSON.
var imageBody = map[string]bool{"PUT /api/me/image": true}

// openAPIRouteList is the JSON API as the route table in internal/web/routes.go declares
// it. TestOpenAPIRoutes checks it against api.go and against the document,
// so a route added without docs, or docs without a route, fails.
var openAPIRouteList = []string{
	"GET /api/openapi.json",
	"POST /api/sign-up",
	"POST /api/sign-up/verify",
	"POST /api/sign-up/resend",
	"POST /api/waitlist",
	"POST /api/impersonation/end",
	"POST /api/sign-in",
	"POST /api/sign-in/factor-two",
	"POST /api/sign-in/factor-two/passkey/begin",
	"POST /api/sign-in/factor-two/passkey/finish",
	"POST /api/sign-in/verify-device",
	"POST /api/sign-in/verify-device/resend",
	"POST /api/reverify",
	"POST /api/reverify/email-code",
	"GET /api/me/mfa",
	"POST /api/me/mfa/totp",
	"POST /api/me/mfa/totp/confirm",
	"POST /api/me/mfa/backup-codes",
	"DELETE /api/me/mfa",
	"POST /api/me/mfa/sms",
	"DELETE /api/me/mfa/sms",
	"POST /api/sign-in/factor-two/sms",
	"POST /api/reverify/sms-code",
	"POST /api/sign-out",
	"POST /api/password/forgot",
	"POST /api/password/reset",
	"POST /api/password/change",
	"GET /api/me",
	"PATCH /api/me",
	"DELETE /api/me",
	"PUT /api/me/image",
	"DELETE /api/me/image",
	"GET /api/me/security-log",
	"GET /api/sessions",
	"DELETE /api/sessions/{id}",
	"POST /api/sessions/revoke-others",
	"POST /api/sessions/switch",
	// Tokens and webhooks (tokens.go, webhooks.go).
	"GET /api/token",
	"GET /.well-known/jwks.json",
	"GET /.well-known/openid-configuration",
	"GET /api/jwt-templates",
	"PUT /api/jwt-templates/{name}",
	"DELETE /api/jwt-templates/{name}",
	"GET /api/jwt-keys",
	"POST /api/jwt-keys/rotate",
	"GET /api/webhooks/endpoints",
	"POST /api/webhooks/endpoints",
	"GET /api/webhooks/endpoints/{id}",
	"PATCH /api/webhooks/endpoints/{id}",
	"DELETE /api/webhooks/endpoints/{id}",
	"GET /api/webhooks/endpoints/{id}/secret",
	"POST /api/webhooks/endpoints/{id}/rotate-secret",
	"GET /api/webhooks/endpoints/{id}/deliveries",
	"POST /api/webhooks/endpoints/{id}/replay",
	"GET /api/methods",
	"POST /api/sign-in/email-code",
	"POST /api/sign-up/email-code",
	"POST /api/sign-in/magic-link",
	"POST /api/sign-up/magic-link",
	"POST /api/sign-in/sms",
	"POST /api/sign-up/sms",
	"POST /api/code/verify",
	"POST /api/code/resend",
	"POST /api/magic-link/verify",
	"GET /api/magic-link/status",
	"POST /api/magic-link/resend",
	"POST /api/magic-link/continue",
	"GET /api/me/identifiers",
	"POST /api/me/identifiers",
	"POST /api/me/identifiers/verify",
	"POST /api/me/identifiers/resend",
	"POST /api/me/identifiers/{id}/primary",
	"DELETE /api/me/identifiers/{id}",
	"GET /api/orgs",
	"POST /api/orgs",
	"POST /api/orgs/active",
	"POST /api/orgs/invitations/accept",
	"POST /api/orgs/invitations/{invitation_id}/accept",
	"GET /api/orgs/{id}",
	"PATCH /api/orgs/{id}",
	"DELETE /api/orgs/{id}",
	"POST /api/orgs/{id}/leave",
	"POST /api/orgs/{id}/join",
	"GET /api/orgs/{id}/members",
	"PATCH /api/orgs/{id}/members/{user_id}",
	"DELETE /api/orgs/{id}/members/{user_id}",
	"GET /api/orgs/{id}/invitations",
	"POST /api/orgs/{id}/invitations",
	"POST /api/orgs/{id}/invitations/{invitation_id}/revoke",
	"GET /api/orgs/{id}/requests",
	"POST /api/orgs/{id}/requests/{request_id}/accept",
	"POST /api/orgs/{id}/requests/{request_id}/reject",
	"GET /api/orgs/{id}/domains",
	"POST /api/orgs/{id}/domains",
	"PATCH /api/orgs/{id}/domains/{domain_id}",
	"DELETE /api/orgs/{id}/domains/{domain_id}",
	"POST /api/orgs/{id}/domains/{domain_id}/send-code",
	"POST /api/orgs/{id}/domains/{domain_id}/verify",
	"GET /api/orgs/{id}/roles",
	"POST /api/orgs/{id}/roles",
	"PATCH /api/orgs/{id}/roles/{key}",
	"DELETE /api/orgs/{id}/roles/{key}",
	"POST /api/orgs/{id}/permissions",
	"DELETE /api/orgs/{id}/permissions/{key}",
	"POST /api/passkeys/sign-in/begin",
	"POST /api/passkeys/sign-in/finish",
	"POST /api/passkeys/register/begin",
	"POST /api/passkeys/register/finish",
	"GET /api/passkeys",
	"PATCH /api/passkeys/{id}",
	"DELETE /api/passkeys/{id}",
	"POST /api/passkeys/reauth/begin",
	"POST /api/passkeys/reauth/finish",
	"POST /api/passkeys/sign-up",
	"POST /api/passkeys/sign-up/verify",
	"POST /api/passkeys/sign-up/resend",
	"POST /api/passkeys/sign-up/begin",
	"POST /api/passkeys/sign-up/finish",
	"GET /api/me/connections",
	"DELETE /api/me/connections/{id}",
	// User administration (admin_users.go, admin_api.go).
	"GET /api/admin/users",
	"POST /api/admin/users",
	"POST /api/admin/users/invite",
	"GET /api/admin/users/{id}",
	"DELETE /api/admin/users/{id}",
	"POST /api/admin/users/{id}/ban",
	"POST /api/admin/users/{id}/unban",
	"POST /api/admin/users/{id}/lock",
	"POST /api/admin/users/{id}/unlock",
	"PATCH /api/admin/users/{id}/metadata",
	"PUT /api/admin/users/{id}/admin",
	"DELETE /api/admin/users/{id}/sessions",
	"DELETE /api/admin/users/{id}/sessions/{session_id}",
	"DELETE /api/admin/users/{id}/mfa",
	"DELETE /api/admin/users/{id}/passkeys/{passkey_id}",
	"POST /api/admin/users/{id}/identifiers/{identifier_id}/verify",
	"GET /api/admin/audit-log",
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaDoc is the decoded document.
type oaDoc map[string]any

func oaFetch(t *testing.T, env *authtest.Env) (oaDoc, []byte) {
	t.Helper()
	r := flNew(t, env).get("/auth/api/openapi.json").want(http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var doc oaDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has data after the document")
	}
	return doc, r.body
}

// operations returns "METHOD /path" -> operation object.
func (d oaDoc) operations() map[string]map[string]any {
	out := map[string]map[string]any{}
	paths, _ := d["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			if slices.Contains(openAPIMethods, m) {
				out[strings.ToUpper(m)+" "+p] = op.(map[string]any)
			}
		}
	}
	return out
}

// pointer resolves a local JSON pointer such as "#/components/schemas/User".
func (d oaDoc) pointer(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("ref %q is not local", ref)
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("ref %q: %q is not in an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("ref %q: no %q", ref, part)
		}
	}
	return cur, nil
}

// deref follows $ref until the object has none (for responses and
// examples, where $ref has no siblings).
func (d oaDoc) deref(t testing.TB, v any) map[string]any {
	t.Helper()
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object", v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var err error
		if v, err = d.pointer(ref); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("$ref loop")
	return nil
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	doc, served := oaFetch(t, env)

	file, err := os.ReadFile("internal/web/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, served) {
		t.Error("the served document is not openapi.json")
	}
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf(`"openapi" = %q, want 3.1.x`, v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Errorf("info lacks title or version: %v", info)
	}

	// Every $ref resolves.
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					if _, err := doc.pointer(x.(string)); err != nil {
						t.Errorf("%s: %v", at, err)
					}
					continue
				}
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(map[string]any(doc), "#")

	// The cookie security scheme.
	scheme := doc.deref(t, doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["embedauth_session"])
	if scheme["type"] != "apiKey" || scheme["in"] != "cookie" || !strings.HasSuffix(scheme["name"].(string), "embedauth_session") {
		t.Errorf("security scheme embedauth_session = %v", scheme)
	}

	ids := map[string]string{}
	for key, op := range doc.operations() {
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is missing or repeated (%s)", key, id, ids[id])
		}
		ids[id] = key
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", key)
		}
		// Path parameters are declared.
		path := strings.SplitN(key, " ", 2)[1]
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
			found := false
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				p := doc.deref(t, p)
				if p["name"] == m[1] && p["in"] == "path" && p["required"] == true {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: path parameter %q is not declared", key, m[1])
			}
		}
		// Security names only the declared scheme.
		sec, _ := op["security"].([]any)
		for _, req := range sec {
			for name := range req.(map[string]any) {
				if name != "embedauth_session" {
					t.Errorf("%s: unknown security scheme %q", key, name)
				}
			}
		}
		// Request bodies are JSON objects, but for a picture upload, whose
		// body is the image.
		if rb, ok := op["requestBody"]; ok && imageBody[key] {
			content := doc.deref(t, rb)["content"].(map[string]any)
			if len(content) != 3 || content["image/png"] == nil || content["image/jpeg"] == nil || content["image/gif"] == nil {
				t.Errorf("%s: the picture's body types are %v", key, content)
			}
		} else if ok {
			rb := doc.deref(t, rb)
			schema, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
			if !ok || rb["required"] != true {
				t.Errorf("%s: request body is not a required application/json body", key)
			} else if s := doc.deref(t, schema); s["type"] != "object" || s["additionalProperties"] != false {
				t.Errorf("%s: request body schema is not a closed object: %v", key, s)
			}
		}
	}

	// The User and Session schemas have exactly the JSON fields of
	// core.User and core.Session; the required ones are those always sent.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, typ := range map[string]reflect.Type{"User": reflect.TypeFor[core.User](), "Session": reflect.TypeFor[core.Session]()} {
		s := schemas[name].(map[string]any)
		var props, required []string
		for p := range s["properties"].(map[string]any) {
			props = append(props, p)
		}
		for _, r := range s["required"].([]any) {
			required = append(required, r.(string))
		}
		var fields, always []string
		if name == "User" {
			fields = append(fields, "image_url") // the API adds the picture's URL, when there is one
		}
		for f := range typ.Fields() {
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			n, opts, _ := strings.Cut(tag, ",")
			fields = append(fields, n)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
				always = append(always, n)
			}
		}
		sort.Strings(props)
		sort.Strings(required)
		sort.Strings(fields)
		sort.Strings(always)
		if !slices.Equal(props, fields) {
			t.Errorf("schema %s has properties %v; core.%s has JSON fields %v", name, props, name, fields)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v; core.%s always sends %v", name, required, name, always)
		}
	}
	if _, ok := schemas["User"].(map[string]any)["properties"].(map[string]any)["private_metadata"]; ok {
		t.Error("the User schema documents private_metadata, which is never sent")
	}
}

// TestOpenAPIRoutes checks that the document, the route list in this file
// and api.go name the same (method, path) pairs, and that the server routes
// every one of them.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	doc, _ := oaFetch(t, env)

	want := slices.Sorted(slices.Values(openAPIRouteList))
	if len(slices.Compact(slices.Clone(want))) != len(want) {
		t.Fatalf("openAPIRouteList has duplicates")
	}
	var documented []string
	for key := range doc.operations() {
		documented = append(documented, key)
	}
	sort.Strings(documented)
	for _, k := range oaMissing(want, documented) {
		t.Errorf("route %s is not documented in openapi.json", k)
	}
	for _, k := range oaMissing(documented, want) {
		t.Errorf("openapi.json documents %s, which is not a route", k)
	}

	// The literal list above is api.go's, read from the source.
	source := oaRoutesInSource(t, "internal/web/routes.go")
	for _, k := range oaMissing(source, want) {
		t.Errorf("the route table has %s, missing from openAPIRouteList (and so, likely, from the docs)", k)
	}
	for _, k := range oaMissing(want, source) {
		t.Errorf("openAPIRouteList has %s, which the route table does not route", k)
	}

	// The server routes every documented operation: signed in or not, no
	// answer is the mux's 404 or 405.
	pw := authtest.Password()
	env.CreateUser(t, "probe@example.com", pw)
	in, out := flNew(t, env), flNew(t, env)
	in.signIn("probe@example.com", pw)
	for _, key := range documented {
		method, path, _ := strings.Cut(key, " ")
		path = "/auth" + strings.ReplaceAll(path, "{id}", "sess_probe")
		for _, c := range []*flClient{in, out} {
			var r *flResp
			if method == "GET" {
				r = c.get(path)
			} else {
				// An invalid body: refused by every handler without side effects.
				r = c.do(method, path, "application/json", strings.NewReader("{"))
			}
			if r.status == http.StatusMethodNotAllowed || (r.status == http.StatusNotFound && r.errorBody().Code == "not_found") {
				t.Errorf("%s %s: %d %s: not routed", method, path, r.status, r.body)
			}
		}
	}
	// The probe does tell a missing route: these are not routes.
	for _, key := range []string{"GET /auth/api/sign-in", "PUT /auth/api/me", "POST /auth/api/sessions", "GET /auth/api/openapi.yaml"} {
		method, path, _ := strings.Cut(key, " ")
		out.do(method, path, "", nil).wantError(http.StatusNotFound, "not_found")
	}
}

// oaMissing returns the elements of a not in b.
func oaMissing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// oaRoutesInSource reads the {"METHOD", "/path", handler} literals of
// the JSON part of the route table in file.
func oaRoutesInSource(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "routeTable" {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || len(lit.Elts) < 2 {
				return true
			}
			var strs []string
			for _, e := range lit.Elts[:2] {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					e = kv.Value
				}
				if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
					s, _ := strconv.Unquote(b.Value)
					strs = append(strs, s)
				}
			}
			if len(strs) == 2 && (strings.HasPrefix(strs[1], "/api/") || strings.HasPrefix(strs[1], "/.well-known/")) {
				out = append(out, strs[0]+" "+strs[1])
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("found no routes in %s's routeTable", file)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIErrorResponses checks that every operation declares its error
// answers with the shared Error schema and a list of codes, including the
// ones every route of its kind can give.
func TestOpenAPIErrorResponses(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	doc, _ := oaFetch(t, env)
	signedIn := []string{"POST /api/password/change", "GET /api/me", "PATCH /api/me", "DELETE /api/me",
		"GET /api/sessions", "DELETE /api/sessions/{id}", "POST /api/sessions/revoke-others", "POST /api/reverify",
		"POST /api/reverify/email-code", "GET /api/me/mfa", "POST /api/me/mfa/totp", "POST /api/me/mfa/totp/confirm",
		"POST /api/me/mfa/backup-codes", "DELETE /api/me/mfa", "POST /api/me/mfa/sms", "DELETE /api/me/mfa/sms",
		"POST /api/reverify/sms-code", "GET /api/me/security-log", "PUT /api/me/image", "DELETE /api/me/image"}
	for _, k := range openAPIRouteList { // tokens and the admin routes (jwt-*, webhooks) need a signed-in user
		if k == "GET /api/token" || strings.Contains(k, " /api/jwt-") || strings.Contains(k, " /api/webhooks/") || strings.Contains(k, " /api/admin/") {
			signedIn = append(signedIn, k)
		}
	}
	for _, k := range openAPIRouteList { // every organization route needs a signed-in user
		if strings.Contains(k, " /api/orgs") {
			signedIn = append(signedIn, k)
		}
	}
	for _, k := range openAPIRouteList { // so does every route of the user's addresses
		if strings.Contains(k, " /api/me/identifiers") {
			signedIn = append(signedIn, k)
		}
	}
	for _, k := range openAPIRouteList { // and every connected-account route
		if strings.Contains(k, " /api/me/connections") {
			signedIn = append(signedIn, k)
		}
	}
	for _, k := range openAPIRouteList { // and every passkey route but sign-in and sign-up
		if strings.Contains(k, " /api/passkeys") && !strings.Contains(k, "/sign-in/") && !strings.Contains(k, "/sign-up") {
			signedIn = append(signedIn, k)
		}
	}

	for key, op := range doc.operations() {
		codes := map[int][]string{}
		responses, _ := op["responses"].(map[string]any)
		success := false
		for status, resp := range responses {
			st, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s: response %q is not a status code", key, status)
				continue
			}
			resp := doc.deref(t, resp)
			if desc, _ := resp["description"].(string); desc == "" {
				t.Errorf("%s %d: no description", key, st)
			}
			media, ok := resp["content"].(map[string]any)["application/json"].(map[string]any)
			if !ok {
				t.Errorf("%s %d: no application/json content", key, st)
				continue
			}
			schema, _ := media["schema"].(map[string]any)
			if st < 400 {
				success = success || st < 300
				if schema == nil {
					t.Errorf("%s %d: no schema", key, st)
				}
				continue
			}
			enum, ok := oaErrorCodes(schema)
			if !ok {
				t.Errorf("%s %d: schema is not the shared Error schema with a code list: %v", key, st, schema)
				continue
			}
			codes[st] = enum
			// Each code has an example with that code.
			examples, _ := media["examples"].(map[string]any)
			for _, code := range enum {
				ex, ok := examples[code]
				if !ok {
					t.Errorf("%s %d: no example for %s", key, st, code)
					continue
				}
				val := doc.deref(t, ex)["value"].(map[string]any)["error"].(map[string]any)
				if val["code"] != code || val["message"] == "" {
					t.Errorf("%s %d: example %s is %v", key, st, code, val)
				}
			}
		}
		if !success {
			t.Errorf("%s: no 2xx answer", key)
		}
		need := map[int][]string{500: {"internal_error"}}
		method := strings.SplitN(key, " ", 2)[0]
		if method != "GET" {
			need[403] = []string{"cross_origin_request"}
		}
		if _, ok := op["requestBody"]; ok && imageBody[key] {
			need[413] = []string{"image_too_large"}
			need[415] = []string{"unsupported_media_type"}
		} else if ok {
			need[400] = []string{"invalid_json", "invalid_request", "unknown_field"}
			need[413] = []string{"request_too_large"}
			need[415] = []string{"unsupported_media_type"}
		}
		if slices.Contains(signedIn, key) {
			need[401] = []string{"unauthenticated"}
		}
		for st, want := range need {
			for _, code := range want {
				if !slices.Contains(codes[st], code) {
					t.Errorf("%s: %d %s is not documented (has %v)", key, st, code, codes[st])
				}
			}
		}
		if slices.Contains(codes[401], "unauthenticated") && !slices.Contains(signedIn, key) {
			t.Errorf("%s documents 401 unauthenticated but needs no sign-in", key)
		}
	}
}

// oaErrorCodes returns the code enum of an error response schema, which
// must be {"allOf": [{"$ref": Error}, {... code: {"enum": [...]}}]}.
func oaErrorCodes(schema map[string]any) ([]string, bool) {
	all, _ := schema["allOf"].([]any)
	if len(all) != 2 {
		return nil, false
	}
	if ref, _ := all[0].(map[string]any)["$ref"].(string); ref != "#/components/schemas/Error" {
		return nil, false
	}
	var enum []string
	func() {
		defer func() { recover() }()
		for _, c := range all[1].(map[string]any)["properties"].(map[string]any)["error"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)["enum"].([]any) {
			enum = append(enum, c.(string))
		}
	}()
	return enum, len(enum) > 0
}

// TestOpenAPIAnswersMatch drives every operation to its success and to
// several of its errors, and checks each answer against the document: its
// status is documented for the operation, and its body matches the schema,
// error codes included, with no undocumented fields.
func TestOpenAPIAnswersMatch(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	doc, _ := oaFetch(t, env)
	ops := doc.operations()
	seen := map[string]map[int]bool{}

	check := func(t *testing.T, op string, r *flResp) {
		t.Helper()
		if seen[op] == nil {
			seen[op] = map[int]bool{}
		}
		seen[op][r.status] = true
		o, ok := ops[op]
		if !ok {
			t.Fatalf("%s is not documented", op)
		}
		resp, ok := o["responses"].(map[string]any)[strconv.Itoa(r.status)]
		if !ok {
			t.Errorf("%s (%s) answered %d, which is not documented: %.300s", op, r.what, r.status, r.body)
			return
		}
		schema := doc.deref(t, resp)["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.UseNumber()
		var body any
		if err := dec.Decode(&body); err != nil {
			t.Errorf("%s: answer is not JSON: %v", r.what, err)
			return
		}
		for _, e := range (oaValidator{doc}).validate(schema, body, "body") {
			t.Errorf("%s (%s) %d: %s\n%.400s", op, r.what, r.status, e, r.body)
		}
	}

	pw := authtest.Password()
	env.CreateUser(t, "oa@example.com", pw)
	in, other, out := flNew(t, env), flNew(t, env), flNew(t, env)
	in.signIn("oa@example.com", pw)
	otherMe := other.signIn("oa@example.com", pw)
	cross := []string{"Sec-Fetch-Site", "cross-site"}

	// Generic probes for every operation, signed in and out.
	for key := range ops {
		method, path, _ := strings.Cut(key, " ")
		url := "/auth" + strings.ReplaceAll(path, "{id}", "sess_unknown")
		_, hasBody := ops[key]["requestBody"]
		if method == "GET" {
			check(t, key, out.get(url))
			check(t, key, in.get(url))
			continue
		}
		if key == "POST /api/sign-out" || key == "DELETE /api/me" || key == "POST /api/sessions/revoke-others" {
			check(t, key, in.do(method, url, "application/json", strings.NewReader(`{}`), cross...))
			check(t, key, out.do(method, url, "application/json", strings.NewReader(`{}`), cross...))
			if key != "POST /api/sign-out" {
				check(t, key, out.do(method, url, "application/json", strings.NewReader(`{}`)))
			}
			continue
		}
		for _, c := range []*flClient{in, out} {
			check(t, key, c.do(method, url, "application/json", strings.NewReader(`{}`), cross...))
			if hasBody {
				check(t, key, c.do(method, url, "text/plain", strings.NewReader(`{}`)))
				check(t, key, c.do(method, url, "application/json", strings.NewReader(`{`)))
				check(t, key, c.do(method, url, "application/json", strings.NewReader(`{"nope":1}`)))
				check(t, key, c.do(method, url, "application/json", strings.NewReader(`[]`)))
				check(t, key, c.do(method, url, "application/json", strings.NewReader(`{"a":"`+strings.Repeat("x", 70<<10)+`"}`)))
			}
		}
		check(t, key, out.sendJSON(method, url, `{}`))
	}

	// Sign-up: start, wrong code, resend, right code.
	su := flNew(t, env)
	check(t, "POST /api/sign-up", su.postJSON("/auth/api/sign-up", map[string]string{"email": "oa-new@example.com", "password": authtest.Password(), "name": "New"}))
	check(t, "POST /api/sign-up", su.postJSON("/auth/api/sign-up", map[string]string{"email": "oa-new@example.com", "password": "short"}))
	first := flVerificationCode(t, env, "oa-new@example.com")
	check(t, "POST /api/sign-up/verify", su.postJSON("/auth/api/sign-up/verify", map[string]string{"code": "12"}))
	check(t, "POST /api/sign-up/verify", su.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flOtherCode(first)}))
	check(t, "POST /api/sign-up/resend", su.postJSON("/auth/api/sign-up/resend", map[string]any{}))
	code := flVerificationCode(t, env, "oa-new@example.com")
	check(t, "POST /api/sign-up/verify", su.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}))
	// Sign-in.
	check(t, "POST /api/sign-in", flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "oa@example.com", "password": pw}))
	check(t, "POST /api/sign-in", flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "oa@example.com", "password": "wrong-wrong-wrong"}))
	check(t, "POST /api/sign-in", flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "oa@", "password": "x"}))
	// The user.
	check(t, "PATCH /api/me", in.patchJSON("/auth/api/me", `{"name":"OA","unsafe_metadata":{"a":[1,2]}}`))
	check(t, "PATCH /api/me", in.patchJSON("/auth/api/me", `{"unsafe_metadata":[]}`))
	check(t, "GET /api/me", in.get("/auth/api/me"))
	check(t, "PUT /api/me/image", in.do("PUT", "/auth/api/me/image", "image/png", bytes.NewReader(avatarPNG(t, 40, 30))))
	check(t, "GET /api/me", in.get("/auth/api/me"))
	check(t, "PUT /api/me/image", in.do("PUT", "/auth/api/me/image", "image/gif", strings.NewReader("GIF89a")))
	check(t, "PUT /api/me/image", in.do("PUT", "/auth/api/me/image", "image/jpeg", bytes.NewReader(make([]byte, 3<<20))))
	check(t, "DELETE /api/me/image", in.do("DELETE", "/auth/api/me/image", "", nil))
	check(t, "DELETE /api/me/image", in.do("DELETE", "/auth/api/me/image", "", nil))
	// Sessions.
	check(t, "GET /api/sessions", in.get("/auth/api/sessions"))
	check(t, "DELETE /api/sessions/{id}", in.do("DELETE", "/auth/api/sessions/sess_unknown", "", nil))
	check(t, "DELETE /api/sessions/{id}", in.do("DELETE", "/auth/api/sessions/"+otherMe.Session.ID, "", nil))
	third := flNew(t, env)
	third.signIn("oa@example.com", pw)
	check(t, "POST /api/sessions/revoke-others", in.postJSON("/auth/api/sessions/revoke-others", nil))
	check(t, "POST /api/sessions/switch", in.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": otherMe.Session.ID}))
	// Passwords.
	check(t, "POST /api/password/change", in.postJSON("/auth/api/password/change", map[string]string{"current_password": "wrong-wrong-wrong", "new_password": authtest.Password()}))
	newPW := authtest.Password()
	check(t, "POST /api/password/change", in.postJSON("/auth/api/password/change", map[string]string{"current_password": pw, "new_password": newPW}))
	check(t, "POST /api/password/forgot", out.postJSON("/auth/api/password/forgot", map[string]string{"email": "oa@example.com"}))
	check(t, "POST /api/password/forgot", out.postJSON("/auth/api/password/forgot", map[string]string{"email": "oa"}))
	flWaitMail(t, env, "oa@example.com") // password changed
	token := flResetToken(t, flResetLink(t, env, "oa@example.com"))
	check(t, "POST /api/password/reset", out.postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": "short"}))
	check(t, "POST /api/password/reset", out.postJSON("/auth/api/password/reset", map[string]string{"token": "forged", "password": newPW}))
	check(t, "POST /api/password/reset", out.postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": pw}))
	check(t, "POST /api/password/reset", out.postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": pw}))
	// Sign out and delete.
	final := flNew(t, env)
	final.signIn("oa@example.com", pw)
	check(t, "DELETE /api/me", final.deleteJSON("/auth/api/me", map[string]string{"password": "wrong-wrong-wrong"}))
	check(t, "DELETE /api/me", final.deleteJSON("/auth/api/me", map[string]string{"password": pw}))
	check(t, "POST /api/sign-out", su.postJSON("/auth/api/sign-out", nil))
	check(t, "POST /api/sign-out", su.postJSON("/auth/api/sign-out", nil))

	// A switch that succeeds needs multi-session mode.
	menv := authtest.New(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti })
	mdoc, _ := oaFetch(t, menv)
	if !reflect.DeepEqual(mdoc, doc) {
		t.Error("the document depends on the configuration")
	}
	mc := flNew(t, menv)
	a := mc.signIn(menv.CreateUser(t, "ma@example.com", pw).Email, pw)
	mc.signIn(menv.CreateUser(t, "mb@example.com", pw).Email, pw)
	check(t, "POST /api/sessions/switch", mc.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": a.Session.ID}))

	ogDriveOpenAPI(t, env, check)   // organizations (org_openapi_test.go)
	oaPasswordlessAnswers(t, check) // passwordless and addresses (passwordless_openapi_test.go)
	oaPasskeyAnswers(t, check)      // passkeys (passkey_openapi_test.go)
	oaMFAAnswers(t, check)          // second factors (mfa_test.go)
	oaDeviceAnswers(t, check)       // device verification and the security log (device_test.go)
	oaSocialAnswers(t, check)       // connected accounts (social_test.go)

	oaTokenWebhookAnswers(t, check) // tokens and webhooks (webhook_openapi_test.go)
	oaGateAnswers(t, check)         // the waitlist and impersonation (impersonation_test.go)
	oaAdminAnswers(t, check)        // user administration (admin_api_test.go)
	// Every documented success answer was seen.
	for key, op := range ops {
		for status := range op["responses"].(map[string]any) {
			if st, _ := strconv.Atoi(status); st < 300 && !seen[key][st] {
				t.Errorf("%s: documented %d was never answered in this test", key, st)
			}
		}
	}
}

// oaValidator checks a JSON value against the JSON Schema subset the
// document uses: $ref, allOf, type, const, enum, required, properties,
// additionalProperties, items and the date-time format. Objects are
// checked closed: a member that none of the schemas applying to the object
// declares is an error, unless one of them sets additionalProperties true.
type oaValidator struct{ doc oaDoc }

func (v oaValidator) validate(schema any, val any, at string) []string {
	list, err := v.flatten(schema)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	return v.validateAll(list, val, at)
}

// flatten returns schema and every schema it applies through $ref and
// allOf.
func (v oaValidator) flatten(schema any) ([]map[string]any, error) {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %v is not an object", schema)
	}
	out := []map[string]any{s}
	if ref, ok := s["$ref"].(string); ok {
		target, err := v.doc.pointer(ref)
		if err != nil {
			return nil, err
		}
		more, err := v.flatten(target)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	all, _ := s["allOf"].([]any)
	for _, sub := range all {
		more, err := v.flatten(sub)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func (v oaValidator) validateAll(list []map[string]any, val any, at string) []string {
	var errs []string
	members := map[string][]map[string]any{} // member -> the schemas that apply to it
	var items []map[string]any
	open, declares := false, false
	obj, isObj := val.(map[string]any)
	for _, s := range list {
		if c, ok := s["const"]; ok && !oaEqual(c, val) {
			errs = append(errs, fmt.Sprintf("%s: %v, want %v", at, val, c))
		}
		if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return oaEqual(e, val) }) {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, val, enum))
		}
		if typ, ok := s["type"].(string); ok && !oaIsType(typ, val) {
			errs = append(errs, fmt.Sprintf("%s: %T %v is not of type %s", at, val, val, typ))
			continue
		}
		if str, ok := val.(string); ok && s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, str))
			}
		}
		props, _ := s["properties"].(map[string]any)
		if len(props) > 0 {
			declares = true
		}
		if s["additionalProperties"] == true {
			open = true
		}
		if isObj {
			req, _ := s["required"].([]any)
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					errs = append(errs, fmt.Sprintf("%s: required member %q is missing", at, r))
				}
			}
			for k := range obj {
				ps, ok := props[k]
				if !ok {
					if s["additionalProperties"] == false {
						errs = append(errs, fmt.Sprintf("%s: member %q is not allowed", at, k))
					}
					continue
				}
				sub, err := v.flatten(ps)
				if err != nil {
					errs = append(errs, at+"."+k+": "+err.Error())
				}
				members[k] = append(members[k], sub...)
			}
		}
		if it, ok := s["items"]; ok {
			sub, err := v.flatten(it)
			if err != nil {
				errs = append(errs, at+": "+err.Error())
			}
			items = append(items, sub...)
		}
	}
	if isObj {
		for k, x := range obj {
			if len(members[k]) > 0 {
				errs = append(errs, v.validateAll(members[k], x, at+"."+k)...)
			} else if declares && !open {
				errs = append(errs, fmt.Sprintf("%s: member %q is not documented", at, k))
			}
		}
	}
	if arr, ok := val.([]any); ok && len(items) > 0 {
		for i, x := range arr {
			errs = append(errs, v.validateAll(items, x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return errs
}

func oaIsType(typ string, val any) bool {
	switch typ {
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	case "string":
		_, ok := val.(string)
		return ok
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "null":
		return val == nil
	case "number", "integer":
		n, ok := val.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && (typ == "number" || f == math.Trunc(f))
	}
	return false
}

func oaEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		return an.String() == bn.String()
	}
	return reflect.DeepEqual(a, b)
}

// The document is kept gzip-compressed in the binary: a client that
// accepts gzip gets it compressed, one that does not gets it whole, and
// both are openapi.json as it is in the repository.
func TestOpenAPIDocumentEncodings(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	file, err := os.ReadFile("internal/web/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	c := flNew(t, env)
	plain := c.do(http.MethodGet, "/auth/api/openapi.json", "", nil, "Accept-Encoding", "identity").want(http.StatusOK)
	if ce := plain.header.Get("Content-Encoding"); ce != "" || !bytes.Equal(plain.body, file) {
		t.Errorf("identity: Content-Encoding %q, body equal to openapi.json: %v", ce, bytes.Equal(plain.body, file))
	}
	refused := c.do(http.MethodGet, "/auth/api/openapi.json", "", nil, "Accept-Encoding", "gzip;q=0, br").want(http.StatusOK)
	if ce := refused.header.Get("Content-Encoding"); ce != "" || !bytes.Equal(refused.body, file) {
		t.Errorf("gzip;q=0: Content-Encoding %q", ce)
	}
	gz := c.do(http.MethodGet, "/auth/api/openapi.json", "", nil, "Accept-Encoding", "br, gzip").want(http.StatusOK)
	if ce := gz.header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("gzip: Content-Encoding %q", ce)
	}
	if !slices.Contains(gz.header.Values("Vary"), "Accept-Encoding") {
		t.Errorf("gzip: Vary %v lacks Accept-Encoding", gz.header.Values("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(doc, file) {
		t.Errorf("gzip: the decompressed body is not openapi.json (%v)", err)
	}
}
