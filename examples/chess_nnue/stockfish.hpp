// Debian's Stockfish 15.1, fetched the way ctnn fetches its datasets (apt-get download and dpkg -x
// into ctnn's cache, no install): the binary, the network it embeds (written by its UCI command
// `export_net`), and a way to run UCI commands through it.
#pragma once

#include <ctnn/data/debian.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace stockfish {

/// The stockfish binary of Debian's package (installed, cached, or fetched into the cache; the
/// cache keeps files without their execute bit, which is given back here).
inline std::filesystem::path binary() {
  auto path = ctnn::datasets::debian_file("stockfish", "usr/games/stockfish");
  namespace fs = std::filesystem;
  if ((fs::status(path).permissions() & fs::perms::owner_exec) == fs::perms::none)
    fs::permissions(path, fs::perms::owner_exec, fs::perm_options::add);
  return path;
}

/// Runs the stockfish binary with `commands` on its standard input; returns its standard output.
inline std::string run(const std::string& commands) {
  const auto exe = binary();
  const auto dir = ctnn::datasets::cache_dir() / "stockfish";
  std::filesystem::create_directories(dir);
  const auto in_path = dir / ("commands." + std::to_string(::getpid()));
  const auto out_path = dir / ("output." + std::to_string(::getpid()));
  std::ofstream(in_path) << commands << "quit\n";
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("stockfish: fork failed");
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY),
              out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::execl(exe.c_str(), exe.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::stringstream output;
  output << std::ifstream(out_path).rdbuf();
  std::filesystem::remove(in_path);
  std::filesystem::remove(out_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("stockfish (" + exe.string() + ") failed with status " + std::to_string(status));
  return output.str();
}

/// The network Stockfish embeds, exported once into ctnn's cache (`export_net`).
inline std::filesystem::path network_file() {
  const auto path = ctnn::datasets::cache_dir() / "stockfish" / "nn-ad9b42354671.nnue";
  if (!std::filesystem::exists(path)) {
    std::filesystem::create_directories(path.parent_path());
    const auto part = path.string() + ".part";
    const std::string out = run("export_net " + part + "\n");
    if (out.find("Network saved successfully") == std::string::npos)
      throw std::runtime_error("stockfish could not export its network: " + out);
    std::filesystem::rename(part, path);
  }
  return path;
}

} // namespace stockfish
