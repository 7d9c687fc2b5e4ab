// The reference OCI registry (github.com/distribution/distribution/v3's cmd/registry) with only
// what the tests use: the filesystem storage driver, htpasswd (Basic) and token (Bearer)
// authentication. Its own main
// also links the Azure, GCS and S3 drivers, which triple the compile on a 2-core machine.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	// RootCmd reports its own errors and exits non-zero on them.
	_ = registry.RootCmd.Execute()
}
