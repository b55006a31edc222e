package web

import "maps"

// Names of the messages about connected accounts, added to package
// mail's templates like the passkey messages (passkey_mail.go).
// Data.Device is the provider's name, Data.Address the email the provider
// gave, Data.Link the profile's connected accounts.
const (
	mailAccountConnected    = "account_connected"
	mailAccountDisconnected = "account_disconnected"
)

var socialMailFiles = map[string]string{
	mailAccountConnected + ".subject.txt": `{{.Device}} was connected to your {{.Brand.AppName}} account`,
	mailAccountConnected + ".txt": `Hi{{if .Name}} {{.Name}}{{end}},

A {{.Device}} account{{if .Address}} ({{.Address}}){{end}} was connected to your {{.Brand.AppName}} account. It can now be used to sign in.

When: {{when .Time}}
{{- if .IP}}
IP address: {{.IP}}
{{- end}}

If this was you, there is nothing else to do.

If it wasn't you, disconnect it and secure your account now{{if .Link}}:
{{.Link}}{{else}}.{{end}}

{{.Brand.AppName}}
`,
	mailAccountConnected + ".html": `{{define "preheader"}}{{.Device}} was connected to your {{.Brand.AppName}} account.{{end}}
{{template "greeting" .}}
<p style="margin:0 0 16px 0;">A {{.Device}} account{{if .Address}} ({{.Address}}){{end}} was connected to your {{.Brand.AppName}} account. It can now be used to sign in.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:22px;">
<tr><td style="padding:0 16px 0 0;color:#71717a;">When</td><td style="color:#27272a;">{{when .Time}}</td></tr>
{{if .IP}}<tr><td style="padding:0 16px 0 0;color:#71717a;">IP address</td><td style="color:#27272a;">{{.IP}}</td></tr>{{end}}
</table>
<p style="margin:0 0 16px 0;">If this was you, there is nothing else to do.</p>
<p style="margin:0;"><strong>If it wasn't you</strong>, disconnect it and secure your account now.</p>
{{if .Link}}{{template "button" (.Button "Review connected accounts")}}{{end}}
`,
	mailAccountDisconnected + ".subject.txt": `{{.Device}} was disconnected from your {{.Brand.AppName}} account`,
	mailAccountDisconnected + ".txt": `Hi{{if .Name}} {{.Name}}{{end}},

A {{.Device}} account{{if .Address}} ({{.Address}}){{end}} was disconnected from your {{.Brand.AppName}} account. It can no longer be used to sign in.

When: {{when .Time}}
{{- if .IP}}
IP address: {{.IP}}
{{- end}}

If this was you, there is nothing else to do.

If it wasn't you, secure your account now{{if .Link}}:
{{.Link}}{{else}}.{{end}}

{{.Brand.AppName}}
`,
	mailAccountDisconnected + ".html": `{{define "preheader"}}{{.Device}} was disconnected from your {{.Brand.AppName}} account.{{end}}
{{template "greeting" .}}
<p style="margin:0 0 16px 0;">A {{.Device}} account{{if .Address}} ({{.Address}}){{end}} was disconnected from your {{.Brand.AppName}} account. It can no longer be used to sign in.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin:0 0 16px 0;font-size:14px;line-height:22px;">
<tr><td style="padding:0 16px 0 0;color:#71717a;">When</td><td style="color:#27272a;">{{when .Time}}</td></tr>
{{if .IP}}<tr><td style="padding:0 16px 0 0;color:#71717a;">IP address</td><td style="color:#27272a;">{{.IP}}</td></tr>{{end}}
</table>
<p style="margin:0 0 16px 0;">If this was you, there is nothing else to do.</p>
<p style="margin:0;"><strong>If it wasn't you</strong>, secure your account now.</p>
{{if .Link}}{{template "button" (.Button "Review your account")}}{{end}}
`,
}

// extraMailFiles are the messages root adds to package mail's own.
func extraMailFiles() map[string]string {
	out := maps.Clone(passkeyMailFiles)
	maps.Copy(out, socialMailFiles)
	return out
}
