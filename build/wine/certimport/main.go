//go:build windows

// Command certimport adds a PEM certificate to the current user's Root store. The Windows
// smoke run (build/wine) runs it inside its throwaway Wine prefix so that pimtray.exe
// trusts the fake Azure's self-signed certificate the way it trusts Azure's: through the
// Windows certificate store, with full TLS verification and no test hook in pimtray.
// Never run it on a real machine: it changes what the user trusts.
package main

import (
	"encoding/pem"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: certimport CERT.pem")
		os.Exit(2)
	}
	if err := importCert(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "certimport:", err)
		os.Exit(1)
	}
}

func importCert(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return fmt.Errorf("%s holds no PEM certificate", file)
	}
	root, _ := windows.UTF16PtrFromString("Root")
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		windows.CERT_SYSTEM_STORE_CURRENT_USER, uintptr(unsafe.Pointer(root)))
	if err != nil {
		return fmt.Errorf("open the user's Root store: %w", err)
	}
	defer windows.CertCloseStore(store, 0)
	ctx, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING,
		&block.Bytes[0], uint32(len(block.Bytes)))
	if err != nil {
		return fmt.Errorf("parse the certificate: %w", err)
	}
	defer windows.CertFreeCertificateContext(ctx)
	if err := windows.CertAddCertificateContextToStore(store, ctx, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil); err != nil {
		return fmt.Errorf("add the certificate: %w", err)
	}
	return nil
}
