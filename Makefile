# grayscott: the two commands a fresh machine needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/grayscott
# A few seconds on 2 cores with the CPU engine (50 s through llvmpipe), large enough to see the pattern.
RUNARGS ?= -r 512 -c 512 -n 100 -e 34 -o output.h5 --force
# Mesa's on-disk shader cache once reported a broken shader as compiled.
export MESA_SHADER_CACHE_DISABLE = true

.PHONY: all deps test-deps build build-headless bundle gpu-check gpu-check-dry run test fuzz bench clean test-paraview

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

# -buildvcs=auto stamps the git revision into program_version where there is one.
build: deps
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/grayscott

# A binary for clusters: no window, no X11 libraries (EGL only).
build-headless: deps
	$(GO) build -buildvcs=auto -tags nowindow,egl -o bin/grayscott-headless ./cmd/grayscott

# A folder (and .tar.gz) that runs on GPU hosts without a package manager;
# see scripts/bundle.sh.
bundle: deps
	scripts/bundle.sh

# The one-call check of a GPU host (scripts/gpu-check.sh), from a fresh
# bundle; on the GPU host itself, run ./gpu-check in the unpacked bundle.
gpu-check: bundle
	env -i PATH=/usr/bin:/bin bundle/grayscott-*-linux-amd64/gpu-check --out gpu-check

# The same check on small grids from an empty environment: runs anywhere
# (llvmpipe included); CI runs it after make test.
gpu-check-dry: bundle
	env -i PATH=/usr/bin:/bin bundle/grayscott-*-linux-amd64/gpu-check --small --out bundle/gpu-check-dry

# A few seconds on 2 cores without a GPU (the CPU engine); then a picture of the last image.
run: build
	./$(BIN) run $(RUNARGS)
	./$(BIN) render output.h5 -o output-last.png --scale 1
	@echo "The last image is in output-last.png; grayscott info output.h5 describes the file."

# Everything under the race detector (the GL and HDF5 code included), with a
# deadline so that nothing can hang. GRAYSCOTT_REQUIRE_GL=1 turns a missing
# GL context into a failure instead of a skip, GRAYSCOTT_REQUIRE_BROWSER=1 a
# Chromium that cannot start, GRAYSCOTT_REQUIRE_READERS=1 a missing h5py,
# h5dump or bitshuffle plugin (test-deps installs them all).
# Window tests need an X display: without one, xvfb-run provides a virtual one.
XVFB := $(if $(DISPLAY),,xvfb-run -a -s "-screen 0 1280x1024x24")

test: test-deps
	$(GO) vet ./...
	$(GO) vet -tags nowindow ./cmd/grayscott
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	GRAYSCOTT_REQUIRE_GL=1 GRAYSCOTT_REQUIRE_DISPLAY=1 GRAYSCOTT_REQUIRE_BROWSER=1 GRAYSCOTT_REQUIRE_READERS=1 $(XVFB) $(GO) test -race -timeout 10m -count=1 ./...

# A short fuzzing of the flag parser and of the bitshuffle decoder (CI runs it
# after make test; their seeds and the inputs they once failed on also run in
# every make test). A count, not a duration: Go 1.26's fuzzer can report "context deadline exceeded" at the
# end of a timed run on a loaded machine (go.dev/issue/75804, fixed in 1.27).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseRunFlags$$' -fuzztime 150000x -timeout 5m ./internal/runflags
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 150000x -timeout 5m ./storage/codec

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 20m ./...

test-paraview:
	scripts/test-paraview.sh

clean:
	rm -rf bin bundle gpu-check output.h5 output.xmf output-last.png
