	.text
	.section	.note.gnu.property,"a",@note
	.p2align	3, 0x0
	.long	4
	.long	16
	.long	5
	.asciz	"GNU"
	.long	3221225474
	.long	4
	.long	1
	.p2align	3, 0x0
	.text
	.file	"layout.c"
	.globl	rust_livepatch_layout           # -- Begin function rust_livepatch_layout
	.p2align	4, 0x90
	.type	rust_livepatch_layout,@function
rust_livepatch_layout:                  # @rust_livepatch_layout
# %bb.0:
	endbr64
	callq	__fentry__
	#APP

	.ascii	"->size klp_func $152"
	#NO_APP
	#APP

	.ascii	"->offset klp_func old_name $0"
	#NO_APP
	#APP

	.ascii	"->offset klp_func new_func $8"
	#NO_APP
	#APP

	.ascii	"->offset klp_func old_sympos $16"
	#NO_APP
	#APP

	.ascii	"->size klp_object $168"
	#NO_APP
	#APP

	.ascii	"->offset klp_object name $0"
	#NO_APP
	#APP

	.ascii	"->offset klp_object funcs $8"
	#NO_APP
	#APP

	.ascii	"->offset klp_object callbacks $16"
	#NO_APP
	#APP

	.ascii	"->size klp_patch $200"
	#NO_APP
	#APP

	.ascii	"->offset klp_patch mod $0"
	#NO_APP
	#APP

	.ascii	"->offset klp_patch objs $8"
	#NO_APP
	#APP

	.ascii	"->offset klp_patch states $16"
	#NO_APP
	#APP

	.ascii	"->offset klp_patch replace $24"
	#NO_APP
	#APP

	.ascii	"->size klp_callbacks $40"
	#NO_APP
	#APP

	.ascii	"->size klp_state $24"
	#NO_APP
	retq
.Lfunc_end0:
	.size	rust_livepatch_layout, .Lfunc_end0-rust_livepatch_layout
                                        # -- End function
	.ident	"Debian clang version 19.1.7 (3~deb12u1)"
	.section	".note.GNU-stack","",@progbits
	.addrsig
