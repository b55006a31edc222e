package web

import (
	"bytes"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// Names of the passkey messages. They reach package mail as extra
// templates through its override mechanism (a complete set of three files
// adds a message), below the app's own MailTemplates, which may replace
// them.
const (
	mailPasskeyAdded          = "passkey_added"
	mailPasskeyRemoved        = "passkey_removed"
	mailPasskeyCloneSuspected = "passkey_clone_suspected"
)

// passkeyMailFiles are the passkey messages. Data.Device is the passkey's
// name, Data.Link the profile page.
var passkeyMailFiles = map[string]string{
	mailPasskeyAdded + ".subject.txt": `A passkey was added to your {{.Brand.AppName}} account`,
	mailPasskeyAdded + ".txt": `Hi{{if .Name}} {{.Name}}{{end}},

A passkey was added to your {{.Brand.AppName}} account. It can now be used to sign in.

Passkey: {{.Device}}
When: {{when .Time}}
{{- if .IP}}
IP address: {{.IP}}
{{- end}}

If this was you, there is nothing else to do.

If it wasn't you, remove the passkey and secure your account now{{if .Link}}:
{{.Link}}{{else}}.{{end}}

{{.Brand.AppName}}
`,
	mailPasskeyAdded + ".html": `{{define "preheader"}}A passkey was added to your {{.Brand.AppName}} account.{{end}}
{{template "greeting" .}}
<p style="margin:0 0 16px 0;">A passkey was added to your {{.Brand.AppName}} account. It can now be used to sign in.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:22px;">
<tr><td style="padding:0 16px 0 0;color:#71717a;">Passkey</td><td style="color:#27272a;">{{.Device}}</td></tr>
<tr><td style="padding:0 16px 0 0;color:#71717a;">When</td><td style="color:#27272a;">{{when .Time}}</td></tr>
{{if .IP}}<tr><td style="padding:0 16px 0 0;color:#71717a;">IP address</td><td style="color:#27272a;">{{.IP}}</td></tr>{{end}}
</table>
<p style="margin:0 0 16px 0;">If this was you, there is nothing else to do.</p>
<p style="margin:0;"><strong>If it wasn't you</strong>, remove the passkey and secure your account now.</p>
{{if .Link}}{{template "button" (.Button "Review your passkeys")}}{{end}}
`,
	mailPasskeyRemoved + ".subject.txt": `A passkey was removed from your {{.Brand.AppName}} account`,
	mailPasskeyRemoved + ".txt": `Hi{{if .Name}} {{.Name}}{{end}},

A passkey was removed from your {{.Brand.AppName}} account. It can no longer be used to sign in.

Passkey: {{.Device}}
When: {{when .Time}}
{{- if .IP}}
IP address: {{.IP}}
{{- end}}

If this was you, there is nothing else to do. You can also delete the passkey from your device or password manager.

If it wasn't you, secure your account now{{if .Link}}:
{{.Link}}{{else}}.{{end}}

{{.Brand.AppName}}
`,
	mailPasskeyRemoved + ".html": `{{define "preheader"}}A passkey was removed from your {{.Brand.AppName}} account.{{end}}
{{template "greeting" .}}
<p style="margin:0 0 16px 0;">A passkey was removed from your {{.Brand.AppName}} account. It can no longer be used to sign in.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:22px;">
<tr><td style="padding:0 16px 0 0;color:#71717a;">Passkey</td><td style="color:#27272a;">{{.Device}}</td></tr>
<tr><td style="padding:0 16px 0 0;color:#71717a;">When</td><td style="color:#27272a;">{{when .Time}}</td></tr>
{{if .IP}}<tr><td style="padding:0 16px 0 0;color:#71717a;">IP address</td><td style="color:#27272a;">{{.IP}}</td></tr>{{end}}
</table>
<p style="margin:0 0 16px 0;">If this was you, there is nothing else to do. You can also delete the passkey from your device or password manager.</p>
<p style="margin:0;"><strong>If it wasn't you</strong>, secure your account now.</p>
{{if .Link}}{{template "button" (.Button "Review your account")}}{{end}}
`,
	mailPasskeyCloneSuspected + ".subject.txt": `A sign-in to your {{.Brand.AppName}} account was blocked`,
	mailPasskeyCloneSuspected + ".txt": `Hi{{if .Name}} {{.Name}}{{end}},

We blocked a sign-in to your {{.Brand.AppName}} account with one of your passkeys, because its signature counter went backwards. This can mean that the passkey was copied and someone else holds a copy.

Passkey: {{.Device}}
When: {{when .Time}}
{{- if .IP}}
IP address: {{.IP}}
{{- end}}

If you don't recognise this, remove that passkey, add a new one and review your signed-in devices{{if .Link}}:
{{.Link}}{{else}}.{{end}}

{{.Brand.AppName}}
`,
	mailPasskeyCloneSuspected + ".html": `{{define "preheader"}}We blocked a sign-in with one of your passkeys.{{end}}
{{template "greeting" .}}
<p style="margin:0 0 16px 0;">We blocked a sign-in to your {{.Brand.AppName}} account with one of your passkeys, because its signature counter went backwards. This can mean that the passkey was copied and someone else holds a copy.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:22px;">
<tr><td style="padding:0 16px 0 0;color:#71717a;">Passkey</td><td style="color:#27272a;">{{.Device}}</td></tr>
<tr><td style="padding:0 16px 0 0;color:#71717a;">When</td><td style="color:#27272a;">{{when .Time}}</td></tr>
{{if .IP}}<tr><td style="padding:0 16px 0 0;color:#71717a;">IP address</td><td style="color:#27272a;">{{.IP}}</td></tr>{{end}}
</table>
<p style="margin:0;"><strong>If you don't recognise this</strong>, remove that passkey, add a new one and review your signed-in devices.</p>
{{if .Link}}{{template "button" (.Button "Review your passkeys")}}{{end}}
`,
}

// passkeyMailTemplates returns the app's mail template overrides (may be
// nil) with the passkey and connected-account messages beneath them.
func passkeyMailTemplates(over fs.FS) fs.FS { return layeredFS{over: over, files: extraMailFiles()} }

// layeredFS is a flat file system: the files of over, then those of files
// that over lacks. It serves what package mail reads (the root directory
// and its files).
type layeredFS struct {
	over  fs.FS
	files map[string]string
}

var (
	_ fs.ReadDirFS  = layeredFS{}
	_ fs.ReadFileFS = layeredFS{}
)

func (l layeredFS) Open(name string) (fs.File, error) {
	if l.over != nil {
		if f, err := l.over.Open(name); err == nil {
			return f, nil
		}
	}
	if s, ok := l.files[name]; ok {
		return &memFile{Reader: bytes.NewReader([]byte(s)), info: memInfo{name: name, size: int64(len(s))}}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (l layeredFS) ReadFile(name string) ([]byte, error) {
	if l.over != nil {
		if b, err := fs.ReadFile(l.over, name); err == nil {
			return b, nil
		}
	}
	if s, ok := l.files[name]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

func (l layeredFS) ReadDir(name string) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	seen := map[string]bool{}
	if l.over != nil {
		entries, err := fs.ReadDir(l.over, name)
		if err != nil && name != "." {
			return nil, err
		}
		for _, e := range entries {
			seen[e.Name()] = true
			out = append(out, e)
		}
	}
	if name == "." {
		for n, s := range l.files {
			if !seen[n] {
				out = append(out, fs.FileInfoToDirEntry(memInfo{name: n, size: int64(len(s))}))
			}
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

var _ io.ReaderAt = (*memFile)(nil)

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
