// Files of Debian packages for the datasets: from the installed package, from ctnn's cache, or
// fetched into the cache with `apt-get download` and `dpkg -x` (a child process, run without a
// shell). Kept out of ctnn/ctnn.hpp: include it (or ctnn/data/datasets.hpp) where a program loads
// a Debian dataset.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace CTNN_NAMESPACE::datasets {

/// The cache directory: $CTNN_CACHE_DIR, else $XDG_CACHE_HOME/ctnn, else $HOME/.cache/ctnn,
/// else ./.ctnn-cache.
inline std::filesystem::path cache_dir() {
  if (const char* d = std::getenv("CTNN_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::filesystem::path(d) / "ctnn";
  if (const char* d = std::getenv("HOME"); d && *d) return std::filesystem::path(d) / ".cache" / "ctnn";
  return ".ctnn-cache";
}

namespace detail {
/// Refuses a cached file that another user could have planted or changed: it must be a regular
/// file (not a symbolic link), owned by this user or root, and writable by no one else; and so
/// must be its folder unless that folder is sticky (as /tmp is).
inline void check_cached(const std::filesystem::path& cached) {
  struct ::stat file {
  }, folder{};
  const bool ok_file = ::lstat(cached.c_str(), &file) == 0 && S_ISREG(file.st_mode) &&
                       (file.st_uid == ::geteuid() || file.st_uid == 0) && (file.st_mode & (S_IWGRP | S_IWOTH)) == 0;
  const bool ok_folder = ::stat(cached.parent_path().c_str(), &folder) == 0 &&
                         ((folder.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (folder.st_mode & S_ISVTX) != 0);
  if (!ok_file || !ok_folder)
    throw file_error(cached.string(), "checking the dataset cache",
                     "a regular file owned by you or root that no one else can write, in a folder no one else can "
                     "write",
                     std::string(!ok_file ? "another kind of file or owner" : "a folder others can write") +
                         " (remove it, or set CTNN_CACHE_DIR to a folder of your own)");
}

/// Runs a program with an argument vector, no shell (so no quoting to get wrong: the cache path
/// may hold quotes, spaces or '$'), in directory `dir`, its output discarded. Returns whether it
/// exited with status 0.
inline bool run_quietly(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string where = dir.string();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) { // the child: only async-signal-safe calls until exec
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    if (::chdir(where.c_str()) == 0) ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
} // namespace detail

/// The file `path_in_package` (relative to /) of Debian package `package`, extracted into
/// `cache` (cache / package / path_in_package) unless it is there already: by
/// `apt-get download <package>` and `dpkg -x`, run without a shell (needs no root, only an
/// up-to-date package list). Throws file_error saying what failed and what to do.
inline std::filesystem::path fetch_debian_file(const std::string& package, const std::string& path_in_package,
                                               const std::filesystem::path& cache) {
  namespace fs = std::filesystem;
  const fs::path cached = cache / package / path_in_package;
  std::error_code ec;
  if (fs::symlink_status(cached, ec).type() != fs::file_type::not_found) {
    detail::check_cached(cached);
    return cached;
  }
  // In a folder of its own (a unique name, made by mkdtemp), and the result written beside the
  // cached name and renamed into place: two programs may fetch into one cache at once (the demo
  // and the tests do), and nothing planted in a shared cache is followed.
  fs::create_directories(cache, ec);
  std::string folder = (cache / (package + ".download-XXXXXX")).string();
  const bool made = ::mkdtemp(folder.data()) != nullptr;
  const fs::path download = folder;
  auto fail = [&](const std::string& step) {
    std::error_code ignored;
    if (made) fs::remove_all(download, ignored);
    return file_error(cached.string(), "fetching from Debian package " + package,
                      step + " to succeed and provide " + path_in_package,
                      "a failure (run 'apt-get update' first, or install " + package + ")");
  };
  if (!made) throw fail("creating a folder in " + cache.string());
  if (!detail::run_quietly({"apt-get", "download", "-q", package}, download))
    throw fail("'apt-get download " + package + "'");
  fs::path deb;
  for (const auto& e : fs::directory_iterator(download, ec))
    if (e.path().extension() == ".deb" && e.path().filename().string().rfind(package + "_", 0) == 0) deb = e.path();
  if (deb.empty()) throw fail("'apt-get download " + package + "' (no .deb file appeared)");
  if (!detail::run_quietly({"dpkg", "-x", deb.string(), (download / "root").string()}, download) ||
      !fs::exists(download / "root" / path_in_package))
    throw fail("'dpkg -x " + deb.filename().string() + "'");
  fs::create_directories(cached.parent_path(), ec);
  try {
    const std::string bytes = ctnn::detail::read_file((download / "root" / path_in_package).string(),
                                                      "the extracted " + path_in_package, {.gzip = true, .raw = true});
    ctnn::detail::write_file_atomically(cached.string(), bytes.data(), bytes.size(), "a file in the cache");
  } catch (const file_error& e) {
    throw fail(std::string("copying into the cache (") + e.what() + ")");
  }
  fs::remove_all(download, ec);
  return cached;
}

/// The file `path_in_package` (relative to /) of Debian package `package`: from the installed
/// package if present, else from the cache (cache_dir()), else fetched into it (see
/// fetch_debian_file).
inline std::filesystem::path debian_file(const std::string& package, const std::string& path_in_package) {
  const std::filesystem::path installed = std::filesystem::path("/") / path_in_package;
  if (std::filesystem::exists(installed)) return installed;
  return fetch_debian_file(package, path_in_package, cache_dir());
}

} // namespace CTNN_NAMESPACE::datasets
