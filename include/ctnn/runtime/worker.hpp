// worker: one persistent helper thread that runs a posted job while the caller does its own
// share; for splitting a training step over two cores without creating threads on the hot path.
#pragma once

#include <ctnn/core/config.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace CTNN_NAMESPACE {

/// A helper thread that runs one job at a time. post() hands it a function pointer and a
/// context (no allocation); wait() returns once it is done. Both sides spin for up to
/// spin_time before blocking on the atomic (futex). A step of training comes well within
/// that, so consecutive steps never pay a wake-up (measured on a 2-vCPU VM: waking a halted
/// core cost more than half a 64-sample step), while an idle trainer stops burning its core.
class worker {
public:
  using job = void (*)(void*) noexcept;

  worker() : thread_([this] { loop(); }) {}
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker() {
    state_.store(quit, std::memory_order_release);
    state_.notify_one();
    thread_.join();
  }

  /// Starts f(context) on the worker. Call wait() before the next post().
  void post(job f, void* context) noexcept {
    job_ = f;
    context_ = context;
    state_.store(posted, std::memory_order_release);
    state_.notify_one();
  }

  /// Whether the idle helper keeps spinning (for up to spin_time) so that the next post() starts
  /// at once, or blocks right away and leaves its core to other threads.
  void keep_spinning(bool on) noexcept { spinning_.store(on, std::memory_order_relaxed); }

  /// Returns when the posted job has finished.
  void wait() noexcept {
    spin_until([&] { return state_.load(std::memory_order_acquire) == done; });
    state_.store(idle, std::memory_order_relaxed);
  }

private:
  enum : int { idle, posted, done, quit };
  static constexpr std::chrono::microseconds spin_time{5000};

  /// Spins (with a pause hint) until ready(), for up to spin_time; after that it blocks until
  /// the state changes from the value it currently has, and checks again.
  template <class Ready>
  void spin_until(Ready ready, bool spin = true) noexcept {
    auto deadline = spin ? std::chrono::steady_clock::time_point::max() : std::chrono::steady_clock::time_point::min();
    for (unsigned spin = 0; !ready(); ++spin) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (spin % 256 != 255) continue;
      const auto now = std::chrono::steady_clock::now();
      if (deadline == std::chrono::steady_clock::time_point::max())
        deadline = now + spin_time;
      else if (now > deadline) {
        const int current = state_.load(std::memory_order_acquire);
        if (!ready()) state_.wait(current, std::memory_order_acquire);
      }
    }
  }

  void loop() noexcept {
    for (;;) {
      int s = state_.load(std::memory_order_acquire);
      spin_until(
          [&] {
            s = state_.load(std::memory_order_acquire);
            return s == posted || s == quit;
          },
          spinning_.load(std::memory_order_relaxed));
      if (s == quit) return;
      job_(context_);
      int expected = posted; // a quit that arrived meanwhile must not be overwritten
      if (!state_.compare_exchange_strong(expected, done, std::memory_order_acq_rel)) return;
      state_.notify_one();
    }
  }

  std::atomic<int> state_{idle};
  std::atomic<bool> spinning_{true};
  job job_ = nullptr;
  void* context_ = nullptr;
  std::thread thread_;
};

/// A barrier for the two threads of a split step: arrive_and_wait() returns once both have
/// called it. It spins (a phase of a step lasts microseconds, far less than a wake-up), and
/// yields now and then so that two threads sharing one core still make progress.
class spin_barrier {
public:
  void arrive_and_wait() noexcept {
    const unsigned phase = phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == 1) {
      arrived_.store(0, std::memory_order_relaxed);
      phase_.store(phase + 1, std::memory_order_release);
      return;
    }
    for (unsigned spin = 1; phase_.load(std::memory_order_acquire) == phase; ++spin) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (spin % 4096 == 0) std::this_thread::yield();
    }
  }

private:
  alignas(64) std::atomic<unsigned> arrived_{0};
  alignas(64) std::atomic<unsigned> phase_{0};
};

} // namespace CTNN_NAMESPACE
