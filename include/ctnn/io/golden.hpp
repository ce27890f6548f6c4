// Forwarding header: the contents live in ctnn/interop/golden.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/interop/golden.hpp>
