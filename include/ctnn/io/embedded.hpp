// Forwarding header: the contents live in ctnn/interop/embedded.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/interop/embedded.hpp>
