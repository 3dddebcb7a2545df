// The frontend (Next.js) is not Go: this file keeps web/ — and its node_modules — out of
// the repository's Go module, so that `go test ./...` and `go vet ./...` never walk it.
module github.com/atende/atende/web
