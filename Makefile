# Targets mirror what CI runs (.ci/run).
BIN     ?= bin/swarmlab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/swarmlab/swarmlab/internal/version.Version=$(VERSION)

.PHONY: build test unit e2e vet cross bench
build: ## a static binary: it also ships itself in the lab's images
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/swarmlab

test: ## everything CI runs, installing what is missing (needs root on Debian)
	bash .ci/run

unit: ## tests that need no Docker
	go test ./...

e2e: build ## end-to-end tests on a real lab
	SWARMLAB_E2E=1 go test -count=1 -timeout 30m -v ./e2e/

vet:
	go vet ./...
	test -z "$$(gofmt -l .)"

cross: ## Docker Desktop users run swarmlab on macOS and Windows
	for os in linux darwin windows; do for arch in amd64 arm64; do \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -o /dev/null ./cmd/swarmlab || exit 1; done; done

bench: build
	bash bench/lab.sh
