SHELL := /bin/bash
# Targets mirror what CI runs (.ci/run).
BIN     ?= bin/swarmlab
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/swarmlab/swarmlab/internal/version.Version=$(VERSION)
# Pinned; 'go run pkg@version' fetches it through the module proxy, so a
# clean clone needs nothing but Go.
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build check unit conformance e2e e2e-ipvs e2e-ipvs-smoke e2e-tutorial-full vet cross dist node-image bench bench-tutorial vendor-xterm bench-window
build: ## static binaries: the CLI, and beside it swarmlab-server, the servers alone, which up ships in the lab's images
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/swarmlab
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(dir $(BIN))swarmlab-server ./cmd/swarmlab-server

check: vet build cross unit e2e ## the test command: everything CI runs (up builds the node image if it is missing)

node-image: build ## the offline node image (up builds it by itself when it is missing and it can)
	./$(BIN) build node-image

unit: ## tests that need no Docker (the browser tests need chromium); includes ./conformance
	go test -count=1 ./...

conformance: ## the HTTP conformance suite of the ingress and the proxy; CONFORMANCE_HAPROXY=1 adds HAProxy as a reference
	go test -count=1 -v ./conformance/

e2e: build ## end-to-end tests on a real lab
	mkdir -p artifacts
	SWARMLAB_ARTIFACTS=$(CURDIR)/artifacts go test -tags e2e -count=1 -timeout 40m -v ./e2e/ 2>&1 | tee artifacts/e2e.log; exit $${PIPESTATUS[0]}

e2e-ipvs: node-image ## the end-to-end checks on a kernel with IPVS, in a VM (not in CI: 30-45 min; see README)
	bash e2e/ipvs/run-e2e.sh

e2e-ipvs-smoke: ## CI's short run of the IPVS path in the VM: builds the VM when missing (as root), up --bare with one worker, the handout's service and a stack with VIPs
	BUILD_VM=1 PHASES=smoke SWARMLAB_E2E_WORKERS=$${SWARMLAB_E2E_WORKERS:-1} bash e2e/ipvs/run-e2e.sh

e2e-tutorial-full: build ## the tutorial's whole checkpoint matrix: goto every step from an empty and a finished lab, then type to the end (about an hour)
	mkdir -p artifacts
	SWARMLAB_TUTORIAL_FULL=1 SWARMLAB_ARTIFACTS=$(CURDIR)/artifacts go test -tags e2e -count=1 -timeout 180m -v -run TestTutorialGoto ./e2e/ 2>&1 | tee artifacts/e2e-tutorial-full.log; exit $${PIPESTATUS[0]}

vet: ## go vet, gofmt and staticcheck; the e2e tag takes every file in
	go vet -tags e2e ./...
	test -z "$$(gofmt -l .)"
	$(STATICCHECK) -tags e2e ./...

cross: ## Docker Desktop users run swarmlab on macOS and Windows; the servers run on amd64 and arm64
	for target in darwin/arm64 windows/amd64; do \
		CGO_ENABLED=0 GOOS=$${target%/*} GOARCH=$${target#*/} go build -trimpath -o /dev/null ./cmd/swarmlab || exit 1; \
		GOOS=$${target%/*} GOARCH=$${target#*/} go vet ./... || exit 1; done
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -o /dev/null ./cmd/swarmlab-server

dist: ## release archives for linux, darwin, windows x amd64, arm64 in dist/, with SHA256SUMS
	VERSION=$(VERSION) bash scripts/dist.sh

bench: build
	bash bench/lab.sh

bench-tutorial: build ## hands-on lab ready, goto the last step, a step typed to its tick (docs/benchmarks.md)
	bash bench/tutorial.sh

vendor-xterm: ## refresh the window's terminal widget (xterm.js, pinned) from npm into internal/window/assets/vendor
	bash scripts/vendor-xterm.sh

bench-window: build ## the learner's window on a running hands-on lab (LAB=name): first load, keystroke to echo, memory of 4 idle terminals (IDLE=1h)
	SWARMLAB_BIN=$(BIN) bash bench/window.sh $${IDLE:-1h}
