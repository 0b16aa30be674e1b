package codesign

import (
	"fmt"

	"github.com/saferwall/pe"
	pelog "github.com/saferwall/pe/log"
)

// quietLogger drops the PE parser's log lines, which it otherwise prints to
// stdout and would corrupt --json output.
type quietLogger struct{}

func (quietLogger) Log(pelog.Level, ...interface{}) error { return nil }

// companyName returns the CompanyName string of the file's version-info
// resource, "" when there is none. Only the resource directory is parsed:
// imports, relocations and the rest cost time and add parser surface
// without telling us anything about the publisher.
func companyName(data []byte) (name string, err error) {
	defer func() {
		if p := recover(); p != nil {
			name, err = "", fmt.Errorf("%s: %v", panicSite(), p)
		}
	}()
	f, err := pe.NewBytes(data, &pe.Options{
		Logger:                     quietLogger{},
		DisableCertValidation:      true,
		DisableSignatureValidation: true,
		OmitExportDirectory:        true,
		OmitImportDirectory:        true,
		OmitExceptionDirectory:     true,
		OmitSecurityDirectory:      true,
		OmitRelocDirectory:         true,
		OmitDebugDirectory:         true,
		OmitArchitectureDirectory:  true,
		OmitGlobalPtrDirectory:     true,
		OmitTLSDirectory:           true,
		OmitLoadConfigDirectory:    true,
		OmitBoundImportDirectory:   true,
		OmitIATDirectory:           true,
		OmitDelayImportDirectory:   true,
		OmitCLRHeaderDirectory:     true,
		OmitCLRMetadata:            true,
		MaxCOFFSymbolsCount:        1,
	})
	if err != nil {
		return "", err
	}
	if err := f.Parse(); err != nil {
		return "", err
	}
	vers, err := f.ParseVersionResources()
	if err != nil {
		return "", err
	}
	return vers["CompanyName"], nil
}
