# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian or Ubuntu machine.
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build demo test bench sanitize format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# the main job on a built-in default: Cleanup, 5 agents, 10 episodes, greedy against coop
demo: build
	@$(BUILD)/commons compare --env cleanup --agents 5 --episodes 10 --policies greedy,coop

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/commons bench

# the tests again under AddressSanitizer and UndefinedBehaviorSanitizer
sanitize: deps
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMMONS_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS)

format:
	@clang-format -i env/*.c env/*.h comm/*.c comm/*.h agents/*.c agents/*.h cli/*.c cli/*.h tests/*.c tests/*.h

clean:
	@rm -rf $(BUILD) $(BUILD)-asan
