# Wraps the README's commands; CMake + CTest do the work.
#   make run    build and start flatline-server on its embedded default configuration
#   make demo   build and run flatline-demo (plain malloc vs lifecycle arenas)
#   make test   install what is missing, then build and test: plain (-Werror, debug-level
#               assertions on), ASan+UBSan, TSan
#   make format-check   fails when a C file drifts from .clang-format (make format fixes them)
JOBS    ?= $(shell nproc)
BUILD   ?= build
CTEST   := ctest --output-on-failure --timeout 600 -j$(JOBS)

PREFIX  ?= /usr/local
FORMAT_FILES = $(shell git ls-files '*.c' '*.h')

.PHONY: all deps build run demo install test test-plain test-asan test-tsan format format-check clean

all: build

deps:
	@scripts/deps.sh

# The release build: FL_ASSERT on, the debug level (FL_DEBUG_ASSERT) off.
build: deps
	cmake -S . -B $(BUILD) -DFLATLINE_WERROR=ON -DFLATLINE_DEBUG=OFF >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# ARGS passes options through, e.g. make run ARGS="--port 7000 --threads 2".
run: build
	exec $(BUILD)/src/server/flatline-server $(ARGS)

# The memory layer's demonstration: Aerospike's problem in miniature.
demo: build
	exec $(BUILD)/src/mem/flatline-demo $(ARGS)

# libflatline (shared and static), its headers, pkg-config file and CMake package under PREFIX.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

test: format-check test-plain test-asan test-tsan

# Tests run with the debug-level assertions (lock owners, invariant walkers, arena identity).
test-plain: deps
	cmake -S . -B $(BUILD) -DFLATLINE_WERROR=ON -DFLATLINE_DEBUG=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && $(CTEST)

test-asan: deps
	cmake -S . -B build-asan -DFLATLINE_WERROR=ON -DFLATLINE_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(CTEST) -LE no-asan

test-tsan: deps
	cmake -S . -B build-tsan -DFLATLINE_WERROR=ON -DFLATLINE_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp $(CTEST) -L threaded

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files match .clang-format"

format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf $(BUILD) build-asan build-tsan
