# The two commands: `make run` and `make test` (see README.md).
# CMake does the building; this file only sequences set-up, builds and runs.
MAKEFLAGS += --no-print-directory
JOBS  ?= $(shell nproc)
HOST  ?= 127.0.0.1
PORT  ?= 3100
DATA  ?= ./data

.PHONY: all setup build build-asan run test bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

build-asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLH_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

run: build
	./build/lakehouse demo --if-empty --data-dir $(DATA) --server http://$(HOST):$(PORT)
	./build/lakehouse serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

test: build build-asan
	@tests/tools/setup-test-deps.sh
	cd build && ctest --output-on-failure -j 2
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 2

bench: build
	@bench/run.sh build

clean:
	rm -rf build build-asan
