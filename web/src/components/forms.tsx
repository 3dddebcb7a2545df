"use client";
// Small pieces the forms share: a labelled input that shows the API's problem when it
// names that field, the problem of the whole form otherwise, and comma-separated tags.
import { useId, type InputHTMLAttributes } from "react";
import type { components } from "@/lib/api/schema";
import { problemText } from "./Session";

/** An API problem as a form shows it: next to `field` when it names one. */
export type FormProblem = { field?: string; text: string };

export function formProblem(error: unknown): FormProblem {
  const field = (error as Partial<components["schemas"]["Problem"]> | undefined)?.field;
  return { field, text: problemText(error) };
}

type FieldProps = { label: string; name: string; problem?: FormProblem } & InputHTMLAttributes<HTMLInputElement>;

/** A labelled input; the problem naming `name` shows under it and describes it. */
export function Field({ label, name, problem, ...input }: FieldProps) {
  const id = useId();
  const wrong = problem?.field === name;
  return (
    <div className="stack grow" style={{ gap: "0.25rem" }}>
      <label>
        <span>{label}</span>
        <input name={name} aria-invalid={wrong || undefined} aria-describedby={wrong ? id : undefined} {...input} />
      </label>
      {wrong && (
        <span id={id} className="error" role="alert">
          {problem.text}
        </span>
      )}
    </div>
  );
}

/** The problem when no field of the form (`fields`) shows it. */
export function FormError({ problem, fields }: { problem?: FormProblem; fields: string[] }) {
  if (!problem || (problem.field && fields.includes(problem.field))) {
    return null;
  }
  return (
    <p className="error" role="alert">
      {problem.text}
    </p>
  );
}

/** "vip, retorno , ,vip" → ["vip", "retorno"]. */
export function tagsFrom(text: string): string[] {
  return [...new Set(text.split(",").map((tag) => tag.trim()).filter(Boolean))];
}
