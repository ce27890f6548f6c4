// The front end (descriptors, composition, shape algebra, diagnostics) needs no SIMD library:
// this translation unit includes it and proves that xsimd was not pulled in.
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>

#ifdef XSIMD_HPP
#error "the ctnn front end must not include xsimd"
#endif

static_assert(ctnn::network<ctnn::input<ctnn::shape<2>>, ctnn::dense<3>, ctnn::gelu>::valid);
