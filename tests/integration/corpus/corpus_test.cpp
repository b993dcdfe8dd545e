// The task definitions of ../shared/corpus/ecs, written by others, read by `berth validate` as a user
// would: each file's outcome (accepted, or the JSON paths refused) must match
// tests/data/corpus/outcomes.tsv, so that any change of outcome shows in review. agent.json names a
// region, as on a host in AWS. On a mismatch the test prints the whole table as it is now.
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// Where BERTH_CORPUS_DIR says, else beside the checkout (../shared/corpus/ecs), else where the team's
// machines keep it (a clean clone elsewhere, as CI makes, still finds it).
fs::path corpus_dir() {
  if (const char* dir = std::getenv("BERTH_CORPUS_DIR"); dir != nullptr && *dir != '\0') return dir;
  const auto beside = fs::path(BERTH_SOURCE_DIR).parent_path() / "shared" / "corpus" / "ecs";
  return fs::is_directory(beside) ? beside : fs::path("/work/shared/corpus/ecs");
}

// file name -> "accepted", or the refused JSON paths joined by spaces ("-" for a problem of the whole file).
using Outcomes = std::map<std::string, std::string>;

Outcomes expected_outcomes() {
  Outcomes out;
  std::ifstream in(fs::path(BERTH_SOURCE_DIR) / "tests" / "data" / "corpus" / "outcomes.tsv");
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    out[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
  }
  return out;
}

// The JSON path of each problem line `<dir>/<file>: <path>: <message>`, sorted and without repeats.
std::string refused_paths(const std::string& output, const std::string& file) {
  std::set<std::string> paths;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const std::string marker = "/" + file + ": ";
    const auto at = line.find(marker);
    if (at == std::string::npos) continue;
    const std::string rest = line.substr(at + marker.size());
    // A path has no spaces; a message about the whole file starts with words.
    const auto colon = rest.find(": ");
    const std::string head = colon == std::string::npos ? "" : rest.substr(0, colon);
    paths.insert(head.empty() || head.find(' ') != std::string::npos ? "-" : head);
  }
  std::string joined;
  for (const auto& p : paths) joined += (joined.empty() ? "" : " ") + p;
  return joined;
}

std::string outcome_of(const fs::path& file, const fs::path& work) {
  const fs::path dir = work / file.stem();
  fs::create_directories(dir / "services.d");
  fs::copy_file(file, dir / "services.d" / file.filename(), fs::copy_options::overwrite_existing);
  std::ofstream(dir / "agent.json") << R"({"services_dir": ")" << (dir / "services.d").string()
                                    << R"(", "state_dir": ")" << (dir / "state").string()
                                    << R"(", "aws": {"region": "eu-west-1"}})";
  auto r = run_command({BERTH_BINARY, "validate", "--config", (dir / "agent.json").string()});
  if (r.exit_code == 0) return "accepted";
  if (r.exit_code != 78) return "exit " + std::to_string(r.exit_code) + ": " + r.output;
  return refused_paths(r.output, file.filename().string());
}

TEST(Corpus, EveryFileHasTheOutcomeInTheTable) {
  const fs::path dir = corpus_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing: the corpus of task definitions lives beside the "
                                     << "checkout (../shared/corpus/ecs) or where BERTH_CORPUS_DIR points";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 69U);
  const fs::path work = fs::temp_directory_path() / ("berth-corpus-" + std::to_string(::getpid()));
  const Outcomes expected = expected_outcomes();
  Outcomes actual;
  int accepted = 0;
  for (const auto& f : files) {
    actual[f.filename().string()] = outcome_of(f, work);
    accepted += actual[f.filename().string()] == "accepted" ? 1 : 0;
  }
  fs::remove_all(work);
  std::string table;
  for (const auto& [file, outcome] : actual) table += file + "\t" + outcome + "\n";
  EXPECT_EQ(actual, expected) << "the corpus outcomes changed; if that is intended, this is the new "
                              << "tests/data/corpus/outcomes.tsv (" << accepted << " of " << files.size()
                              << " accepted):\n"
                              << table;
}

}  // namespace
}  // namespace berth::test
