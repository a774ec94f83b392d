# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian or Ubuntu machine.
BUILD ?= build
JOBS ?= 2
# where `make install` puts libcommons.so, commons.h and the Python package (PREFIX/lib,
# PREFIX/include, PREFIX/lib/python3.X/site-packages: the user site for ~/.local)
PREFIX ?= $(HOME)/.local

.PHONY: all deps build demo test bench sanitize format clean install install-bin

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# the commons binary into $(PREFIX)/bin (default ~/.local/bin: no root needed; add it to PATH)
install-bin: build
	@install -d "$(DESTDIR)$(PREFIX)/bin"
	@install -m 755 $(BUILD)/commons "$(DESTDIR)$(PREFIX)/bin/commons"
	@echo "installed $(DESTDIR)$(PREFIX)/bin/commons"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	  *) echo "$(PREFIX)/bin is not on PATH; add it: export PATH=\"$(PREFIX)/bin:\$$PATH\"";; esac

# the main job: a short PPO training on Harvest (5 agents, about a minute, with a progress line),
# then the trained policy's social metrics beside the scripted baselines on the same 10 seeds
demo: build
	@rm -rf runs/demo
	@$(BUILD)/commons train experiments/ppo/demo.ini --out runs/demo
	@$(BUILD)/commons eval runs/demo --episodes 10 --baselines

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# the binary, libcommons.so, commons.h and the Python package under $(PREFIX)
install: install-bin
	@cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@$(BUILD)/commons bench

# the tests again under AddressSanitizer and UndefinedBehaviorSanitizer
sanitize: deps
	@cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOMMONS_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS)

format:
	@clang-format -i env/*.c env/*.h comm/*.c comm/*.h agents/*.c agents/*.h render/*.c render/*.h \
		sim/*.c sim/*.h cli/*.c cli/*.h tests/*.c tests/*.h

clean:
	@rm -rf $(BUILD) $(BUILD)-asan
