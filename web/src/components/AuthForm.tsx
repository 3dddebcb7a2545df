"use client";
// The sign-in and sign-up forms: a server action does the work, this shows its answer.
import { useActionState } from "react";
import type { FormState } from "@/lib/auth-actions";

type Props = {
  action: (state: FormState, form: FormData) => Promise<FormState>;
  submit: string;
  email?: string;
  withName?: boolean;
  newPassword?: boolean;
};

export function AuthForm({ action, submit, email, withName, newPassword }: Props) {
  const [state, formAction, pending] = useActionState(action, { email });
  return (
    <form action={formAction} className="stack">
      {withName && (
        <label>
          Seu nome
          <input name="full_name" autoComplete="name" required />
        </label>
      )}
      <label>
        E-mail
        <input name="email" type="email" autoComplete="email" required defaultValue={state.email} />
      </label>
      <label>
        Senha
        <input name="password" type="password" autoComplete={newPassword ? "new-password" : "current-password"} required minLength={6} />
      </label>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      <button type="submit" disabled={pending}>
        {pending ? "Aguarde…" : submit}
      </button>
    </form>
  );
}
