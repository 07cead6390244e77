#pragma once

// What a file holds, told from its bytes (libmagic), never from its name: a photo named
// "notes.txt" is an image, and a script named "cat.png" is not. The client types attachments
// with it; chatkeep-server refuses with it what is sent to an image route and is no image.

#include <filesystem>
#include <string>
#include <string_view>

namespace chatkeep::files {

// How many leading bytes content_type() looks at; more tell it nothing it uses.
inline constexpr std::size_t kContentTypeHead = 64 * 1024;

// The MIME type of bytes that begin with `head` ("image/png", "application/pdf", ...);
// "application/octet-stream" when nothing is recognised. Safe from any thread.
std::string content_type(std::string_view head);
// The same of a file's first kContentTypeHead bytes; ChatError (input) if it cannot be read.
std::string content_type_of_file(const std::filesystem::path& path);

// Whether a file of this MIME type is sent as an image (an `image` attachment with image_url, to
// the image route) rather than a file (`file`, `video` or `audio` with asset_url, to the file
// route): JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC/HEIF and AVIF, the formats apps show.
bool is_image(std::string_view mime_type);
// The attachment type Stream's clients give a file of this MIME type.
std::string attachment_type(std::string_view mime_type);

}  // namespace chatkeep::files
