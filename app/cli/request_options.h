// The options `inpaint-cli run` and `inpaint-cli compare` share: one table declares them (name,
// value, help with the ranges from jobs::limits, default) and one function reads them into an
// InpaintRequest. Ranges are checked by InpaintRequest::validate(), the same check the editor
// and the recipe loader use, so every front end accepts exactly the same values.
#pragma once

#include "app/cli/args.h"

#include "core/jobs/inpaint_request.h"

#include <string>

namespace inpaint::cli {

// Declares the shared options on `p` (after the command's own).
// Without `withInputFiles` the --image, --mask and --resize-mask options are left out (batch
// takes folders).
void addRequestOptions(ArgParser& p, bool withInputFiles = true);

// Reads the shared options into `r` (image and mask are loaded later). False with *problem set to
// one line naming the option and the allowed values. Draws a random seed when --seed is absent,
// so the command can print and record it. With `onlyGiven` (a recipe already filled `r`), only
// the options given on the command line change it, and the recipe's seed stays.
bool readRequestOptions(const ArgParser& p, jobs::InpaintRequest* r, std::string* problem, bool onlyGiven = false);

// The request's violations as one usage line: "inpaint-cli run: --steps must be 1 to 1000 (got 0)".
// Empty when the request is valid (pixels are not checked: they are not loaded yet).
std::string checkRequest(const std::string& command, const jobs::InpaintRequest& r);

}  // namespace inpaint::cli
