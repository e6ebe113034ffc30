# The two commands of the README, and a few more for developers.
#   make demo    install what is needed, build, run the main job end to end
#   make check   build with ASan+UBSan and run every test
BUILD      ?= build
CHECKBUILD ?= build-check
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build check demo format format-check bench fuzz clean install

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

check: deps
	cmake -S . -B $(CHECKBUILD) -DCMAKE_BUILD_TYPE=Debug -DXPORTA_SANITIZE=ON -DXPORTA_TEST_HOOKS=ON >/dev/null
	cmake --build $(CHECKBUILD) -j$(JOBS)
	cd $(CHECKBUILD) && ctest --output-on-failure -j$(JOBS)
	# The same unit tests and fuzz corpora once more under valgrind.
	cmake -S . -B $(CHECKBUILD)-valgrind -DCMAKE_BUILD_TYPE=Debug -DXPORTA_VALGRIND=ON -DXPORTA_TEST_HOOKS=ON >/dev/null
	cmake --build $(CHECKBUILD)-valgrind -j$(JOBS)
	cd $(CHECKBUILD)-valgrind && ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz'

demo: build
	sh scripts/demo.sh $(BUILD)

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	sh scripts/check-format.sh

bench: build
	sh bench/pie/run.sh $(BUILD)

fuzz:
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DXPORTA_BUILD_FUZZERS=ON -DXPORTA_SANITIZE=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(CHECKBUILD) build-fuzz
