// Typed errors of the torch engine. The editor and CLI turn them into one clear line.
#pragma once

#include <stdexcept>
#include <string>

namespace inpaint::models {

// Base of every engine error; what() is a complete sentence naming the file/key/value at fault.
class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class FormatError : public ModelError {      // malformed file (safetensors, JSON, vocab)
public:
    using ModelError::ModelError;
};

class ConfigError : public ModelError {      // missing/unsupported/invalid config key
public:
    using ModelError::ModelError;
};

class WeightsError : public ModelError {     // missing / unexpected / mis-shaped weights
public:
    using ModelError::ModelError;
};

}  // namespace inpaint::models

namespace inpaint::models {

// Thrown when the person cancelled the job (see models/nn/cancel.h). Not an error: callers turn
// it into a Canceled status. Deliberately not a ModelError.
class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "the job was cancelled"; }
};

}  // namespace inpaint::models
