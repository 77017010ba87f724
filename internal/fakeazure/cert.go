package fakeazure

import "encoding/pem"

// CertificatePEM is the fake's TLS certificate, PEM-encoded. A test that runs pimtray in a
// child process points the child's SSL_CERT_FILE at it, so the child trusts the fake the
// way it trusts Azure, with no test hook in the code under test.
func (s *Server) CertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
}
