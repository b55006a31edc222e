// Package config holds embedauth's options: [Config] and the structs it
// nests. Apps use them through the root package's aliases (auth.Config,
// auth.MFAConfig, ...), so most never import this package; it exists so
// that every field is documented where `go doc` finds it.
//
// The zero value of every struct is a working, secure setup; each field's
// comment gives its default, filled in by auth.New, which never changes
// the caller's Config.
package config
