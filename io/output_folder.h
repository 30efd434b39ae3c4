// The folder a command writes into, made with its parents and checked writable before
// anything is computed or trained, so a path under a file, a read-only place or an empty
// one is one line that names it ("attn: cannot create output folder x.txt/maps: Not a
// directory") instead of a std::filesystem exception after the work.
#pragma once
#include <string>
#include <string_view>

namespace qkv {

// `command` begins the error ("train", "attn", "ablate").
void create_output_folder(const std::string& path, std::string_view command);

}  // namespace qkv
