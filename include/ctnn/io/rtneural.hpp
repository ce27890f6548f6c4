// Forwarding header: the contents live in ctnn/interop/rtneural.hpp; this path keeps existing includes working.
#pragma once
#include <ctnn/interop/rtneural.hpp>
