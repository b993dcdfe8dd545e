// AWS's SigV4 test suite (tests/data/aws-sigv4): every case signed from its context.json and
// request.txt alone, compared byte for byte with the expected canonical request, string to sign,
// signature and Authorization value (or presigned query).

#include "aws/sigv4.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace berth::aws {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSuite = fs::path(BERTH_TEST_DATA_DIR) / "aws-sigv4" / "v4";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// request.txt: "METHOD target HTTP/1.1", then "Name:value" lines (a line starting with white space
// continues the previous value), an empty line, the body.
Request parse_request(const std::string& text) {
  Request r;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  r.method = line.substr(0, first_space);
  const std::string target = line.substr(first_space + 1, last_space - first_space - 1);
  const auto question = target.find('?');
  r.path = target.substr(0, question);
  r.query = question == std::string::npos ? "" : target.substr(question + 1);
  while (std::getline(in, line) && !line.empty()) {
    if (line.front() == ' ' || line.front() == '\t') {
      r.headers.back().second += " " + line;
      continue;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::stringstream rest;
  rest << in.rdbuf();
  r.body = rest.str();
  return r;
}

std::chrono::system_clock::time_point parse_time(const std::string& iso) {
  std::tm tm{};
  std::istringstream in(iso);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

struct Case {
  Request request;
  Credentials credentials;
  Scope scope;
  std::chrono::seconds expires{};
};

Case load(const fs::path& dir) {
  const json context = json::parse(read(dir / "context.json"));
  Case c;
  c.request = parse_request(read(dir / "request.txt"));
  const auto& creds = context.at("credentials");
  c.credentials = {creds.at("access_key_id").get<std::string>(), creds.at("secret_access_key").get<std::string>(),
                   creds.value("token", std::string())};
  c.scope = scope_for(context.at("service").get<std::string>(), context.at("region").get<std::string>(),
                      parse_time(context.at("timestamp").get<std::string>()));
  c.scope.path = context.value("normalize", true) ? PathRule::kNormalizedAndEncoded : PathRule::kEncoded;
  c.scope.payload = context.value("sign_body", false) ? PayloadHeader::kContentSha256 : PayloadHeader::kNone;
  c.scope.token = context.value("omit_session_token", false) ? SessionToken::kAddedAfterSigning : SessionToken::kSigned;
  c.expires = std::chrono::seconds(context.value("expiration_in_seconds", 0));
  return c;
}

// The value of `name` in a signed request (the first line is the request line).
std::string header_of(const std::string& signed_request, const std::string& name) {
  std::istringstream in(signed_request);
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    if (line.starts_with(name + ":")) {
      return line.substr(name.size() + 1);
    }
  }
  return "";
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kSuite)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(SigV4Suite, HasEveryCase) { EXPECT_EQ(case_names().size(), 38u); }

class SigV4Case : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Case, HeaderSigningMatchesByteForByte) {
  const fs::path dir = kSuite / GetParam();
  const Case c = load(dir);
  const Signed s = sign(c.request, c.credentials, c.scope);
  EXPECT_EQ(s.canonical_request, read(dir / "header-canonical-request.txt"));
  EXPECT_EQ(s.string_to_sign, read(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(s.signature, read(dir / "header-signature.txt"));
  const std::string expected = read(dir / "header-signed-request.txt");
  for (const auto& [name, value] : s.headers) {
    EXPECT_EQ(value, header_of(expected, name)) << name;
  }
  EXPECT_FALSE(header_of(expected, "Authorization").empty());
}

TEST_P(SigV4Case, PresigningMatchesByteForByte) {
  const fs::path dir = kSuite / GetParam();
  const Case c = load(dir);
  const Signed s = presign(c.request, c.credentials, c.scope, c.expires);
  EXPECT_EQ(s.canonical_request, read(dir / "query-canonical-request.txt"));
  EXPECT_EQ(s.string_to_sign, read(dir / "query-string-to-sign.txt"));
  EXPECT_EQ(s.signature, read(dir / "query-signature.txt"));
  // The signed request line carries the query; its order is the reference signer's, so compare sets.
  const std::string line =
      read(dir / "query-signed-request.txt").substr(0, read(dir / "query-signed-request.txt").find('\n'));
  const auto q = line.find('?');
  ASSERT_NE(q, std::string::npos);
  auto sorted_parameters = [](std::string query) {
    std::vector<std::string> parts;
    std::istringstream in(query);
    std::string part;
    while (std::getline(in, part, '&')) {
      // The reference leaves the request's own raw bytes as they came (get-vanilla-utf8-query).
      std::string encoded;
      for (const unsigned char ch : part) {
        static constexpr char kHexDigits[] = "0123456789ABCDEF";
        encoded += ch < 0x80 ? std::string(1, static_cast<char>(ch))
                             : std::string{'%', kHexDigits[ch >> 4], kHexDigits[ch & 0xf]};
      }
      parts.push_back(encoded);
    }
    std::sort(parts.begin(), parts.end());
    return parts;
  };
  const std::string expected_query = line.substr(q + 1, line.rfind(' ') - q - 1);
  EXPECT_EQ(sorted_parameters(s.query), sorted_parameters(expected_query));
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4Case, ::testing::ValuesIn(case_names()), [](const auto& param_info) {
  std::string name = param_info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

// S3's rules: the path is signed as sent (no normalising, no second encoding), and the payload's hash
// travels in x-amz-content-sha256.
TEST(SigV4, S3SignsThePathAsSentAndThePayloadHash) {
  Request r{"GET", "/my-bucket/a%20b/../c", "", {{"Host", "s3.eu-west-1.amazonaws.com"}}, ""};
  const Signed s = sign(r, {"AKID", "secret", ""}, scope_for("s3", "eu-west-1", parse_time("2026-12-07T10:00:00Z")));
  EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find('\n', 4) + 1), "GET\n/my-bucket/a%20b/../c\n");
  bool has_payload_header = false;
  for (const auto& [name, value] : s.headers) {
    has_payload_header |=
        name == "x-amz-content-sha256" && value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  }
  EXPECT_TRUE(has_payload_header);
  EXPECT_NE(s.canonical_request.find("x-amz-content-sha256;x-amz-date"), std::string::npos);
}

// Other services hash the body too (SSM, Secrets Manager and ECR are JSON POSTs to "/").
TEST(SigV4, AJsonPostSignsItsBody) {
  Request r{"POST",
            "/",
            "",
            {{"Host", "ssm.us-east-1.amazonaws.com"}, {"X-Amz-Target", "AmazonSSM.GetParameter"}},
            R"({"Name":"/app/db"})"};
  const Signed a =
      sign(r, {"AKID", "secret", "token"}, scope_for("ssm", "us-east-1", parse_time("2026-12-07T10:00:00Z")));
  r.body = R"({"Name":"/app/dc"})";
  const Signed b =
      sign(r, {"AKID", "secret", "token"}, scope_for("ssm", "us-east-1", parse_time("2026-12-07T10:00:00Z")));
  EXPECT_NE(a.signature, b.signature);
  EXPECT_NE(a.canonical_request.find("host;x-amz-date;x-amz-security-token;x-amz-target"), std::string::npos);
}

TEST(SigV4, AmzDateIsUtc) { EXPECT_EQ(amz_date(parse_time("2015-08-30T12:36:00Z")), "20150830T123600Z"); }

}  // namespace
}  // namespace berth::aws
