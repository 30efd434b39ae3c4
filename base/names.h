// One name table per enum: the only place an enum's spelling lives, so the config
// parser, to_toml, error messages, `qkv gradcheck --list` and `qkv ablate` print and read
// the same names. An enum opts in by specialising EnumNames next to its declaration:
//
//   enum class Color { red, green };
//   template <> struct EnumNames<Color> {
//     static constexpr std::pair<Color, std::string_view> table[] = {{Color::red, "red"}, {Color::green, "green"}};
//   };
//
// Then name_of(Color::red) == "red", parse_name<Color>("green", "paint.color") == Color::green,
// and a wrong name is an Error: "paint.color must be one of red, green, got \"blue\"".
#pragma once
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace qkv {

template <typename E>
struct EnumNames;  // specialise with `static constexpr std::pair<E, std::string_view> table[]`

template <typename E>
constexpr std::string_view name_of(E value) {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (v == value) return name;
  return "?";
}

// "a, b, c": the accepted names in table order, for messages and help texts.
template <typename E>
std::string name_list() {
  std::string out;
  for (const auto& [v, name] : EnumNames<E>::table) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

// The value spelt `text`, or nothing.
template <typename E>
constexpr bool find_name(std::string_view text, E* out) {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (name == text) {
      *out = v;
      return true;
    }
  return false;
}

// The value spelt `text`; an Error naming `what` and the choices otherwise.
template <typename E>
E parse_name(std::string_view text, std::string_view what) {
  E value{};
  if (!find_name(text, &value)) fail("{} must be one of {}, got \"{}\"", what, name_list<E>(), text);
  return value;
}

}  // namespace qkv
