#include "nn/config.h"

namespace qkv::nn {

const char* name(QKMode m) {
  switch (m) {
    case QKMode::separate: return "separate";
    case QKMode::shared: return "shared";
    case QKMode::bilinear: return "bilinear";
  }
  return "?";
}

const char* name(ScoreKind s) {
  switch (s) {
    case ScoreKind::dot: return "dot";
    case ScoreKind::rbf: return "rbf";
    case ScoreKind::cosine: return "cosine";
    case ScoreKind::additive: return "additive";
  }
  return "?";
}

const char* name(Positions p) {
  switch (p) {
    case Positions::learned: return "learned";
    case Positions::sinusoidal: return "sinusoidal";
    case Positions::rope: return "rope";
  }
  return "?";
}

}  // namespace qkv::nn
