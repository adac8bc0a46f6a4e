#include "fabric/newick.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <set>
#include <string>

#include "spec/error.h"

namespace cxlsim {
namespace {

constexpr unsigned kMaxDepth = 16;  // deeper trees are not CXL topologies anyone builds

// One parsed node: a group (children) or a leaf (label; 0 for an ignored CPU leaf).
struct Node {
  std::vector<Node> children;
  bool group = false;
  uint64_t label = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view origin) : s_(text), origin_(origin) {}

  Node parse() {
    skip_space();
    if (peek() != '(') fail("a topology starts with '('");
    Node root = group(0);
    skip_space();
    if (peek() == ';') {
      ++pos_;
      skip_space();
    }
    if (pos_ != s_.size()) fail("unexpected text after the closing ')'");
    return root;
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    throw ParseError(fmt::format("{}: Newick topology, offset {}: {}", origin_, pos_, what));
  }
  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  Node group(unsigned depth) {
    if (depth > kMaxDepth) fail(fmt::format("nested deeper than {} levels", kMaxDepth));
    ++pos_;  // '('
    Node n;
    n.group = true;
    for (;;) {
      skip_space();
      if (peek() == ')') fail("empty group or trailing ',': every group needs members");
      n.children.push_back(peek() == '(' ? group(depth + 1) : leaf());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ')') {
        ++pos_;
        branch_length();
        return n;
      }
      fail(peek() == '\0' ? "missing ')'" : fmt::format("unexpected '{}'", peek()));
    }
  }

  // ":<number>" after a node: a branch length, which CXLMemSim ignores too.
  void branch_length() {
    skip_space();
    if (peek() != ':') return;
    ++pos_;
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) {
      ++pos_;
    }
    if (start == pos_) fail("expected a number after ':'");
  }

  Node leaf() {
    size_t start = pos_;
    while (pos_ < s_.size() && std::isalnum(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    std::string_view word = s_.substr(start, pos_ - start);
    if (word.empty()) fail(peek() == '\0' ? "missing ')'" : fmt::format("unexpected '{}'", peek()));
    Node n;
    if (word == "CPU") {
      n.label = 0;
    } else if (word == "CXL") {
      n.label = ++auto_label_;
    } else if (word == "R") {
      fail("remote endpoints (R:node:exp) are not supported");
    } else {
      auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), n.label);
      if (ec != std::errc() || p != word.data() + word.size() || n.label == 0 || n.label > 0xffff) {
        pos_ = start;
        fail(fmt::format("leaf '{}' is not an expander number 1..65535, CXL or CPU", word));
      }
    }
    if (n.label != 0 && !labels_.insert(n.label).second) {
      pos_ = start;
      fail(fmt::format("expander {} appears twice", n.label));
    }
    branch_length();
    return n;
  }

  std::string_view s_;
  std::string_view origin_;
  size_t pos_ = 0;
  uint64_t auto_label_ = 0;
  std::set<uint64_t> labels_;
};

class Builder {
 public:
  explicit Builder(const NewickOptions& o) : opt_(o) {}

  Topology build(const Node& root) {
    t_.host_bridges.push_back({"hb0", 12, 12});
    unsigned port = 0;
    for (const Node& child : root.children) {
      if (!child.group && child.label == 0) continue;  // CPU: the host's own memory
      std::string rp = fmt::format("rp{}", port);
      t_.root_ports.push_back({rp, "hb0", port, 0, next_slot_++});
      ++port;
      attach(child, rp);
    }
    Bytes total;
    for (const auto& d : t_.type3) total += d.persistent_size;
    WindowSpec w;
    w.id = "cfmw0";
    w.size = total == Bytes(0) ? MiB(256) : total;
    w.targets = {"hb0"};
    t_.windows.push_back(w);
    return std::move(t_);
  }

 private:
  void attach(const Node& n, const std::string& port) {
    if (!n.group) {
      Type3Spec d;
      d.id = fmt::format("mem{}", n.label);
      d.parent = port;
      d.persistent_size = opt_.device_size;
      d.serial = n.label;
      t_.type3.push_back(std::move(d));
      return;
    }
    std::string sw = fmt::format("sw{}", t_.switches.size());
    t_.switches.push_back({sw, port});
    unsigned p = 0;
    for (const Node& child : n.children) {
      if (!child.group && child.label == 0) continue;
      std::string dp = fmt::format("{}p{}", sw, p);
      t_.downstream_ports.push_back({dp, sw, p, 0, next_slot_++});
      ++p;
      attach(child, dp);
    }
  }

  const NewickOptions& opt_;
  Topology t_;
  unsigned next_slot_ = 0;
};

}  // namespace

Topology parse_newick(std::string_view text, std::string_view origin,
                      const NewickOptions& options) {
  Node root = Parser(text, origin).parse();
  Topology t = Builder(options).build(root);
  t.name = std::string(text.substr(0, std::min<size_t>(text.size(), 64)));
  while (!t.name.empty() && std::isspace(static_cast<unsigned char>(t.name.back()))) {
    t.name.pop_back();
  }
  return t;
}

bool looks_like_newick(std::string_view text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '(';
  }
  return false;
}

}  // namespace cxlsim
