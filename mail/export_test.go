package mail

import "crypto/x509"

// SetRootCAs makes s trust the certificates in pool instead of the
// system's, for tests against a TLS server with a self-signed certificate.
func SetRootCAs(s *SMTPSender, pool *x509.CertPool) { s.rootCAs = pool }
