# weft: the top-level commands. Everything goes through CMake + Ninja underneath.
#   make deps   install every Debian package the project needs (idempotent)
#   make test   deps, build (g++), build again under ASan+UBSan (clang), run every test in both
#               (the g++ build once per reactor backend, io_uring and epoll); then the
#               cross-thread tests under ThreadSanitizer (clang, build-tsan)
#   make stress the cross-thread stress test under ThreadSanitizer with ten million messages
#   make run    deps, build, and start the main job: the weft-mud server (telnet 4000, http 8080)
#   make tour   deps, build, and run the tour of the examples
#   make bench  deps, Release build, every benchmark (make bench-core, make bench-net)

SHELL := /bin/bash
JOBS ?= $(shell nproc)
DEBS := build-essential cmake ninja-build pkg-config g++ clang libclang-rt-14-dev \
        libboost-context-dev libboost-fiber-dev libgtest-dev libgmock-dev libbenchmark-dev \
        libssl-dev openssl golang-go procps \
        libhttp-parser-dev libwslay-dev liburing-dev libsqlite3-dev sqlite3 zlib1g-dev \
        nodejs chromium fonts-amiga wrk nginx curl telnet netcat-openbsd tintin++ tf tmux python3 \
        postgresql postgresql-client redis-server redis-tools libpq-dev libhiredis-dev libcurl4-openssl-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build build-asan build-tsan build-release test test-tsan stress run tour bench bench-core bench-net clean

deps:
	@missing=$$(for p in $(DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@# JavaScript from the npm registry (xterm.js, ws, playwright-core), pinned by package-lock.json.
	@# (a node_modules that is a symlink belongs to another checkout: leave it alone)
	@if [ ! -L node_modules ] && { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then \
	  npm ci --no-audit --no-fund; \
	fi

build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ -DCMAKE_C_COMPILER=gcc -DWEFT_WERROR=ON
	ninja -C build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DWEFT_SANITIZE=ON -DWEFT_WERROR=ON
	ninja -C build-asan -j $(JOBS)

# ThreadSanitizer: only the cross-thread tests, the stress test and the examples they run.
build-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DWEFT_TSAN=ON -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF
	ninja -C build-tsan -j $(JOBS) tsan_tests

build-release: deps
	cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF
	ninja -C build-release -j $(JOBS)

# The reactor backend is chosen at run time (docs/reactor.md): the g++ build's whole suite runs
# under each; the sanitizer builds run one each (io_uring under ASan, epoll under TSan).
test: build build-asan build-tsan
	WEFT_REACTOR=uring ctest --test-dir build --output-on-failure -j $(JOBS)
	WEFT_REACTOR=epoll ctest --test-dir build --output-on-failure -j $(JOBS) -E install_and_consume
	WEFT_REACTOR=uring ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j $(JOBS) -E install_and_consume
	$(TSAN_CTEST)

TSAN_CTEST = WEFT_REACTOR=epoll ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L tsan
test-tsan: build-tsan
	$(TSAN_CTEST)

# STRESS_MESSAGES=N overrides the count; STRESS_ARGS adds options (see weft_stress --help).
STRESS_MESSAGES ?= 10000000
STRESS_ARGS ?=
stress: build-tsan
	TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp build-tsan/tests/stress/weft_stress --messages $(STRESS_MESSAGES) $(STRESS_ARGS)

# The main job: the MUD in the foreground; it prints where to connect. Ctrl-C saves and stops it.
run: build
	build/apps/weft-mud/weft-mud --data ./mud-data

tour: build
	bash examples/tour.sh build

bench: bench-core bench-net

bench-core: build-release
	bash bench/run_core.sh build-release

bench-net: build-release
	bash bench/run_net.sh build-release

clean:
	rm -rf build build-asan build-tsan build-release build-fuzz

# libFuzzer targets (clang, sanitizer build), each for FUZZ_SECONDS (make test runs them 10 s each).
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: build-asan
	bash fuzz/run.sh build-asan $(FUZZ_SECONDS)

# HTTP: examples/http_hello against nginx and Go's net/http under wrk (bench/run_http.sh).
.PHONY: bench-http
bench-http: build-release
	bash bench/run_http.sh build-release
# The hook: hiredis GET from 100 tasklets with weft::hook beside 100 pthreads, one core each,
# and the interposed recv beside weft's and libc's (bench/run_hook.sh).
.PHONY: bench-hook
bench-hook: build-release
	bash bench/run_hook.sh build-release
# weft-mud's telnet parser under libFuzzer (clang), for FUZZ_SECONDS.
.PHONY: fuzz-mud
fuzz-mud: deps
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DWEFT_SANITIZE=ON -DWEFT_FUZZ=ON -DWEFT_BUILD_BENCH=OFF
	ninja -C build-fuzz -j $(JOBS) mud_telnet_fuzz
	mkdir -p build-fuzz/corpus-telnet
	build-fuzz/tests/mud/mud_telnet_fuzz -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-telnet

# weft-mud under load: 10,000 players logged in, 2,000 active at one command a second
# (MUD_PLAYERS, MUD_ACTIVE, MUD_SECONDS override), server and load generator on separate cores.
.PHONY: bench-mud
bench-mud: build-release
	bash bench/run_mud.sh build-release
