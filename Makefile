SHELL := /bin/bash
# Targets mirror what CI runs (.ci/run).
BIN     ?= bin/swarmlab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/swarmlab/swarmlab/internal/version.Version=$(VERSION)

.PHONY: build check unit e2e e2e-ipvs vet cross node-image bench
build: ## a static binary: it also ships itself in the lab's images
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/swarmlab

check: vet build cross unit node-image e2e ## the test command: everything CI runs

node-image: build ## the offline node image the end-to-end tests use (reused when present)
	./$(BIN) build node-image

unit: ## tests that need no Docker (the browser tests need chromium)
	go test -count=1 ./...

e2e: build ## end-to-end tests on a real lab
	mkdir -p artifacts
	SWARMLAB_ARTIFACTS=$(CURDIR)/artifacts go test -tags e2e -count=1 -timeout 40m -v ./e2e/ 2>&1 | tee artifacts/e2e.log; exit $${PIPESTATUS[0]}

e2e-ipvs: node-image ## the end-to-end checks on a kernel with IPVS, in a VM (not in CI: 30-45 min; see README)
	bash e2e/ipvs/run-e2e.sh

vet:
	go vet -tags e2e ./...
	test -z "$$(gofmt -l .)"

cross: ## Docker Desktop users run swarmlab on macOS and Windows
	for target in darwin/arm64 windows/amd64; do \
		CGO_ENABLED=0 GOOS=$${target%/*} GOARCH=$${target#*/} go build -trimpath -o /dev/null ./cmd/swarmlab || exit 1; done

bench: build
	bash bench/lab.sh
